"""The Streamlit app shell, shared UI components, formats, exports and display settings."""
