"""The pinned upstream boundary files: where to download them and the SHA-256 of each.

Source: https://github.com/cahyadsn/wilayah_boundaries (MIT), pinned to one commit so the
maps never change under us: 8 province files, and per province one regency (``kab``) and one
kecamatan (``kec``) file, 84 in all. Files are downloaded with pooch (hash-checked) or read
from a local folder (hash-checked too), and never copied into this repository.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from geo.parse import BoundaryError

SOURCE_REPO = "cahyadsn/wilayah_boundaries"
SOURCE_COMMIT = "3c5a7960f4d227a38489094d84252bdbb3f978a5"
BASE_URL = f"https://raw.githubusercontent.com/{SOURCE_REPO}/{SOURCE_COMMIT}/"

_HASHES: dict[str, str] = {
    "kab_11": "80d05177ed889aded5023ca61e2c5f17201c5a9086691cd6d0fa1fc561f78517",
    "kab_12": "79ccf8770f7621e63da4476180e88691ab0e3391c1b43bfc0b9d79a15579917e",
    "kab_13": "d80519417de7011a427603cdbf6849419fa024bff66e6f39fba6ae608aed47ba",
    "kab_14": "4d2cc88c2c320a394d85f5f022f6f8265dd122c58bdc3a26abd7d082c6acf290",
    "kab_15": "f9b73bed0c5b22ebe296957d1c15c2edc9a59537fd6153a3ac5eac7db56c0555",
    "kab_16": "b0440a0d9dd44793775e7c3b5539d74614e16d14702812e8dc1857249787881f",
    "kab_17": "3e6ef9e5d6fc636777324c0ed3a0a2b0611febea192a791a2f8f1bbf93df6fde",
    "kab_18": "e6762284ccc69069899633784adcce9c1ca6bbcf8d75e5e64d9588dbd982dc6e",
    "kab_19": "2c2a2ab7db1f0ed2649382f12d97c45873b9339f46d2c591bf27361c8771b10d",
    "kab_21": "9704323e6983b9f531d777dc354c2769b652243a86d89f14e712a44d47eeab5f",
    "kab_31": "bcf2029d23a6100f65a30e4f14a19cffc96152a266df2b97535e96ecb4ca5f42",
    "kab_32": "e2ef61aaeff9c0e3283a085d83490bdf3aaddf2611ba86d2f7eb288e6f04a8b7",
    "kab_33": "1d774594f1f5dbcafa9833613335a1e1f095421bf368dd9f3b3959a40b723ba0",
    "kab_34": "2dba11f6a41f7f8fd474450892346c0c9e181a5ce79858ffcfd471bad12153d0",
    "kab_35": "120a4f01539dafe82117e2b75c36859fb39bac12d9c5e227828127648b10575d",
    "kab_36": "9739934ca8f7b979bb403fc81b460265f5755d3ba93bf87f5b65b550e7d06bcc",
    "kab_51": "28ba3fe2e88f285f9dd71dfabf8b6486b2c19d10643e390f2aad1625b0523bf9",
    "kab_52": "57ea4099b5f795c2f39eb960e7db26416d622b271485c9d9f8c5f6b76a4335d9",
    "kab_53": "5cc127d589c069ce8c3521c582ec2e0daffa6f4136825b344ad9b80ab8c748eb",
    "kab_61": "1a3f3275268c514e6a87b2d012b816d9d0fccdab28b12a48e89e7ec5822baac0",
    "kab_62": "e573717f2bd7df3b1025b7e3ff9113cd1250f345f28d45f60b7b6799c4e5d22f",
    "kab_63": "d78816667c30266904b4c0a54e3971785c0631e19270d2a94d641152ff8a50c7",
    "kab_64": "790d76b3770671f2515ebec73e2c5bf4847e1f1be78449128dc70aca87379b52",
    "kab_65": "3d4c956d0aaaf8287fbbd9cd2ecb5bc71838fb3bd78bc17fc10737a290766bc9",
    "kab_71": "2121838028de1e006c01dfc5cafba16c23e41c29fe6928db0a9261ac6608c2b5",
    "kab_72": "eed34d4756d84f36a841200b310fe8c98ff4e952f9e4c0ca3936ba68568ead5b",
    "kab_73": "f6dea2ba0404e29455056dfd0ed16218f3b4aab8d90552d04a9e48fa2686a285",
    "kab_74": "142b04039536a1540bc6394a74c301ca831f9c6a095ac03591a94f6a193d3cf8",
    "kab_75": "31e356354ca16c657aa58f9cf2fe324a5632e334a7ec06a290f05d337bd211bf",
    "kab_76": "3dd92c5a6ac9c9d21a0f2119c4e0c34f8ac723e0d74fb69c2111cf3fa879d594",
    "kab_81": "4be457c4e9379e08d02c4d8e3b7cce68d14a9f0712929f5f823480e50ce36175",
    "kab_82": "c644422b0509b60b0467654ff9c10d627a2f2a342c3c04741331dd5179a71d8d",
    "kab_91": "5244d42170c1057492b5165c55926408f304975bfb9605abd40e428865578d82",
    "kab_92": "c511d1018686bf670ade01354dff3fea7142ed451620e601a98ff4c0d6467f4c",
    "kab_93": "902acd25bc8be597443a83666b531a2285b7b679aed17ce586921a23d70b25bf",
    "kab_94": "b6149fc1186c51b96990975348655ca6eb25fa7f7781b0d5a40f05995e59ccd2",
    "kab_95": "1badbdb85340c7d72aec061d6cb63032eca72f22db539dd9cf6a80e60cb75491",
    "kab_96": "ffb8e5e126953ebab8a97875f0a818ae6a0cf09cab13962b007f504e74c0e8b5",
    "kec_11": "2551c9dea5cfbd1e7f8d6256cfde505167679529bb2721048034675fd790411c",
    "kec_12": "5309ef1e6f1bb65acb73c97a14f2dcbf5206acbcfab1f01b259ed3e841187236",
    "kec_13": "94ef0987604387c654eac37dea53c92c90d7c08db65cf5713346a950775454bf",
    "kec_14": "30ed82db0c2b07613350b723c18f0051e466a74c9431fce18932710898994043",
    "kec_15": "0b11ade8215d0c13c2c3cc32dc1464cb002fb4686b200a3545433f777036f849",
    "kec_16": "9ea41ca8ba2587d418bbd1c5a689552e30c169fed3d0919748199a16a1b91c99",
    "kec_17": "58e6bb5b2fc0318ab57fc1ea7fdc845c04cfd908a637493a3322a29a8ca0428c",
    "kec_18": "3bf0b7c0f6bdd623bd782be9b7cabbf62d9b6a15702b4b295f4456a96033833d",
    "kec_19": "cb63e0606fc2a887a43bc6e91fe671f0cf67ecb73381df27d0719a16f59c17ed",
    "kec_21": "c01d11405c4a5e433348d2710ea6691b4848774e55a33fc10233750ea0ed313c",
    "kec_31": "0464d7ede254d59fdaeaf5a151ba73ea7bf0a9b23cf5537c781b8a1b87ac1859",
    "kec_32": "986bee7556d6cd5094f54e8d25da95540d06753b353fe549aa93ee13e4e65b79",
    "kec_33": "203fce0ae2248da1dc86c44a9ed5af884252aa621588eb9ee35274339666598b",
    "kec_34": "c30ed6eaed6e7987d30edbf07d224c7adadf7a84888f4dbc48eb700f1cf4da0d",
    "kec_35": "c2db7230dca8b4e5d45b2e64c2af831cc29e3aa0b743c651ab82c2e8b27aa5d1",
    "kec_36": "251627cbd6c37e02a0d2364c59f1c0c95862f25bc7a6ed7bc331dab5d46e1021",
    "kec_51": "58ba2e60620fc5202b3b6f03d9d28c14e33f59da2f2d77a1b06865b27a1352c9",
    "kec_52": "6b8094990075a6767c2fb6647de701ebd17e3d7de75314b08aaf38d0a31ed278",
    "kec_53": "19fa9b43e181659c54a6400312600880a5868091cee3fc0c2dc1334d89721171",
    "kec_61": "0252ef13bec75926b3d1e604697f4f07b02d147851b9fcee258688d34683c07d",
    "kec_62": "8cc1c100af09a92cea510f234187882afa2db405b9a9af368a51b2710296f60a",
    "kec_63": "c04550a21bfcd2b520aa545d5acce7453ee4ac5e324623d3f37ddbfeada841f0",
    "kec_64": "3024a11733a6b06ab39e000a9a08214a1594f2bdf19242bd296ac83900ef09ee",
    "kec_65": "c85dec3011fa1417c1d93743750cbdab897ac7364c28d63049fbfc6195e90a69",
    "kec_71": "91d0439584de71f8f23ec4b156a277a6b7ada8909290a0dc7910d25e63bd7e61",
    "kec_72": "aa5dba9e9d27beb606a17e2127ccbf3bc01bca99c2160d35f203f927f2edebb5",
    "kec_73": "3161191fc471d9fc1c6312ab0f9d1ae38b82d312e557adcee1f7abcd49e7890a",
    "kec_74": "f7e963ac24dcbeab653749653e9d47eb5435bf6b95b379ea79404f89483fef57",
    "kec_75": "6d86f8538137f62623777ea80898d42ed7ebd5233266b8d92dfbc74a5d8141ca",
    "kec_76": "8c22bf3d7b57c0224bea51db14cace564b578e0df47ad2524f1a4a68fe9181c1",
    "kec_81": "9bf7b2fe0e753f9c5cf2fbf9117c9b77a04231498778f572a20818a71758d225",
    "kec_82": "dd9035d7924107f2f3f95dfccb7b0b35711268955f34dd6be2e205e040ff47f8",
    "kec_91": "7a92471b3d473632e1b24225b5cf2e8646c279f9d47eddb1127097a4d8916973",
    "kec_92": "10380aa4ff9fb7f48d8373addbfb89c653ca7a205714bf8a3abb3089b307846b",
    "kec_93": "f348ab905beaad76afb1288df05df32de45f318e0b8f7fb5d4c97ff7045f792d",
    "kec_94": "ff12e74221ec3faf2087ffa3fa9e23f1e385604dfdf05d6ca02a82b418592176",
    "kec_95": "7ef5bde1cafb54a41faf0a07aa747779f5e4986bbd88720082f7b38adf75155a",
    "kec_96": "f3472e6e394615d517ceac13a4023c786fa77315e3eb7f5b31fcfd13ad110f11",
    "prov_1": "a1d6d5d419df444298fdb3647ec533770e80f13a673cc44860e5d6c1cd16127d",
    "prov_2": "ab881f05e54fa8594d5faeac1ef203c90fc61d8f6c4d1ae16152da8832fe58b7",
    "prov_3": "6345c0fbb8be3d246b160ae8e25e1f4fd5c587da401c66e01cbab960130ee487",
    "prov_4": "6d32082f68ee0ffb741b0eb98ad4f18ef0f160f37bf4928887253054c73af911",
    "prov_5": "fcad3531c4ddce92dc7f4b55a844b57aa21262daaf2a094707c0fd3dd81a5202",
    "prov_6": "5f139f7161860c89ce844215bffd4471f49245c9eef297bb8413801c07526cd4",
    "prov_7": "ba9717155950a68f32f2f11187e1401584827c46593581d3d2381dfef9a01ad4",
    "prov_8": "600f347431d4083980d9be57f1f46ecebd518091110cf6f922e760054bea343c",
}


def _upstream_path(key: str) -> str:
    kind, number = key.split("_")
    return f"db/{kind}/wilayah_boundaries_{kind}_{number}.sql"


FILE_HASHES: dict[str, str] = {_upstream_path(key): digest for key, digest in _HASHES.items()}
"""Path inside the upstream repository → SHA-256 of the file at ``SOURCE_COMMIT``."""

Progress = Callable[[int, int], object]  # what it returns is ignored (st.progress returns)


def upstream_kind(name: str) -> str:
    """``"prov"``, ``"kab"`` or ``"kec"``: the folder of an upstream file, which says its level
    (province, regency or kecamatan polygons)."""
    return name.split("/")[1]


def sha256(path: Path) -> str:
    """Hex SHA-256 of a file, read in chunks (the largest file is about 1 MB)."""
    import hashlib

    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for chunk in iter(lambda: handle.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


def verified_local_files(from_dir: Path, progress: Progress | None = None) -> dict[str, Path]:
    """The pinned files inside ``from_dir`` (a checkout or copy of the upstream repository),
    each checked against its pinned hash so a local folder is trusted no more than a download."""
    files: dict[str, Path] = {}
    for done, (name, expected) in enumerate(FILE_HASHES.items(), start=1):
        path = Path(from_dir) / name
        if not path.is_file():
            raise BoundaryError(f"Berkas {name} tidak ditemukan di folder {from_dir}.")
        if sha256(path) != expected:
            raise BoundaryError(
                f"Hash SHA-256 berkas {path} tidak cocok dengan versi {SOURCE_COMMIT[:7]}: "
                "berkas telah diubah atau terpotong. Ambil ulang berkas aslinya."
            )
        files[name] = path
        if progress:
            progress(done, len(FILE_HASHES))
    return files


def downloaded_files(raw_dir: Path, progress: Progress | None = None) -> dict[str, Path]:
    """Download (or reuse) the pinned files under ``raw_dir`` with pooch, which checks every
    hash; a failed or tampered download raises :class:`BoundaryError`."""
    import pooch
    import requests

    fetcher = pooch.create(
        path=raw_dir,
        base_url=BASE_URL,
        registry={name: f"sha256:{digest}" for name, digest in FILE_HASHES.items()},
        retry_if_failed=2,
    )
    files: dict[str, Path] = {}
    for done, name in enumerate(FILE_HASHES, start=1):
        try:
            files[name] = Path(fetcher.fetch(name, progressbar=False))
        except ValueError as error:  # pooch's hash mismatch
            raise BoundaryError(f"Hash SHA-256 unduhan {name} tidak cocok: {error}") from error
        except (requests.RequestException, OSError) as error:
            raise BoundaryError(
                f"Gagal mengunduh {BASE_URL}{name}: {error}. Periksa koneksi internet, atau "
                "gunakan `python -m geo fetch --from FOLDER` dengan salinan lokal."
            ) from error
        if progress:
            progress(done, len(FILE_HASHES))
    return files
