"""Weekly or monthly region reports by e-mail (issue 24).

``storage`` keeps subscriptions and deliveries in the application database (beside the
agenda), ``message`` writes a region's e-mail from the protected figures and the batch's
files, ``delivery`` sends what is due over SMTP, ``unsubscribe`` signs the links that stop a
subscription without login, ``importer`` reads a CSV/XLSX list, ``section`` is the app's
"Langganan laporan" page. Only ``section`` imports Streamlit.
"""
