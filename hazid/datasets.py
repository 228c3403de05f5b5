r"""Public datasets hazid can download, and the local directory that holds them.

The registry lists each dataset's official download address, licence and the
main file inside its archive. Files live in the hazid data directory: the
environment variable ``HAZID_DATA_DIR`` if set, else the user cache directory
(``$XDG_CACHE_HOME/hazid`` or ``~/.cache/hazid`` on Linux,
``~/Library/Caches/hazid`` on macOS, ``%LOCALAPPDATA%\\hazid\\Cache`` on
Windows). Each dataset is unpacked in a sub-directory named after it.

Offline use: copy the archives (for example ``ne_10m_admin_0_countries.zip``)
into the data directory, or into ``<data dir>/<name>/``, and run ``hazid data
fetch NAME``: an archive already present is unpacked without downloading.
A mirror can be used with ``base_url=`` or the environment variable
``HAZID_DATA_BASE_URL`` (the archive's file name is appended to it).
"""

from __future__ import annotations

import json
import logging
import os
import shutil
import sys
import tempfile
import urllib.error
import urllib.request
import zipfile
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path

import pandas as pd

from hazid import embedded
from hazid.errors import DataSourceError, check_choice
from hazid.tables import file_sha256

__all__ = [
    "REGISTRY",
    "Dataset",
    "data_dir",
    "fetch",
    "first_fetched",
    "get_dataset",
    "list_datasets",
    "path",
    "resolve_lakes",
]

logger = logging.getLogger(__name__)

_MANIFEST = "hazid-fetch.json"


@dataclass(frozen=True)
class Dataset:
    """A downloadable dataset.

    Attributes
    ----------
    name : str
        Registry name used on the command line (``hazid data fetch NAME``).
    title : str
        Human-readable title.
    url : str
        Official download address of the archive.
    member : str
        Path of the main file inside the archive.
    licence : str
        Licence and attribution requirement.
    description : str
        What it holds and what hazid uses it for.
    homepage : str
        Page describing the dataset.
    sha256 : str or None
        Expected SHA-256 of the archive, checked when given.

    Examples
    --------
    >>> ds = REGISTRY["hydrorivers_as"]
    >>> ds.title
    'HydroRIVERS v1.0, Asia (as)'
    >>> ds.member
    'HydroRIVERS_v10_as_shp/HydroRIVERS_v10_as.shp'
    """

    name: str
    title: str
    url: str
    member: str
    licence: str
    description: str
    homepage: str
    sha256: str | None = None

    @property
    def filename(self) -> str:
        """File name of the archive (the last part of :attr:`url`).

        Examples
        --------
        >>> REGISTRY["ne_10m_countries"].filename
        'ne_10m_admin_0_countries.zip'
        """
        return self.url.rsplit("/", 1)[-1]


_NE = "https://naciscdn.org/naturalearth/10m"
_NE_LICENCE = "Public domain (Natural Earth terms of use); credit 'Made with Natural Earth' welcome"
_HYDRO_LICENCE = (
    "HydroSHEDS licence: free for non-commercial and commercial use, attribution required "
    "(Lehner, B., Grill, G. 2013, Hydrological Processes 27(15): 2171-2186)"
)
_HYDRO_REGIONS = {
    "af": "Africa",
    "ar": "North American Arctic",
    "as": "Asia",
    "au": "Australia and Oceania",
    "eu": "Europe and Middle East",
    "gr": "Greenland",
    "na": "North and Central America",
    "sa": "South America",
    "si": "Siberia",
}


def _registry() -> dict[str, Dataset]:
    items = [
        Dataset(
            name="ne_10m_countries",
            title="Natural Earth 1:10m admin-0 countries",
            url=f"{_NE}/cultural/ne_10m_admin_0_countries.zip",
            member="ne_10m_admin_0_countries.shp",
            licence=_NE_LICENCE,
            description=(
                "Country polygons (de facto boundaries) at 1:10 million; borders for "
                "site country and air-pathway checks when no authoritative borders are given."
            ),
            homepage="https://www.naturalearthdata.com/downloads/10m-cultural-vectors/10m-admin-0-countries/",
        ),
        Dataset(
            name="ne_10m_rivers",
            title="Natural Earth 1:10m rivers and lake centrelines",
            url=f"{_NE}/physical/ne_10m_rivers_lake_centerlines.zip",
            member="ne_10m_rivers_lake_centerlines.shp",
            licence=_NE_LICENCE,
            description="Major rivers and lake centrelines at 1:10 million (no flow direction).",
            homepage="https://www.naturalearthdata.com/downloads/10m-physical-vectors/10m-rivers-lake-centerlines/",
        ),
        Dataset(
            name="ne_10m_lakes",
            title="Natural Earth 1:10m lakes and reservoirs",
            url=f"{_NE}/physical/ne_10m_lakes.zip",
            member="ne_10m_lakes.shp",
            licence=_NE_LICENCE,
            description="Lake and reservoir polygons at 1:10 million.",
            homepage="https://www.naturalearthdata.com/downloads/10m-physical-vectors/10m-lakes/",
        ),
    ]
    for code, region in _HYDRO_REGIONS.items():
        items.append(
            Dataset(
                name=f"hydrorivers_{code}",
                title=f"HydroRIVERS v1.0, {region} ({code})",
                url=f"https://data.hydrosheds.org/file/HydroRIVERS/HydroRIVERS_v10_{code}_shp.zip",
                member=f"HydroRIVERS_v10_{code}_shp/HydroRIVERS_v10_{code}.shp",
                licence=_HYDRO_LICENCE,
                description=(
                    f"River network of the HydroSHEDS {region} region (15 arc-second, reaches "
                    "with NEXT_DOWN topology, long-term discharge DIS_AV_CMS)."
                ),
                homepage="https://www.hydrosheds.org/products/hydrorivers",
            )
        )
    return {d.name: d for d in items}


#: Known datasets by name.
REGISTRY: dict[str, Dataset] = _registry()


def data_dir() -> Path:
    """Return the hazid data directory (not created).

    ``HAZID_DATA_DIR`` if set, else the platform's user cache directory.

    Returns
    -------
    pathlib.Path
        The directory.

    Examples
    --------
    >>> import os
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"HAZID_DATA_DIR": "/srv/hazid-data"}):
    ...     str(data_dir())
    '/srv/hazid-data'
    """
    env = os.environ.get("HAZID_DATA_DIR")
    if env:
        return Path(env).expanduser()
    home = Path.home()
    if sys.platform == "win32":
        base = Path(os.environ.get("LOCALAPPDATA") or home / "AppData" / "Local")
        return base / "hazid" / "Cache"
    if sys.platform == "darwin":
        return home / "Library" / "Caches" / "hazid"
    return Path(os.environ.get("XDG_CACHE_HOME") or home / ".cache") / "hazid"


def get_dataset(name: str) -> Dataset:
    """Return the registry entry ``name``.

    Parameters
    ----------
    name : str
        A key of :data:`REGISTRY`.

    Returns
    -------
    Dataset
        The entry.

    Raises
    ------
    ChoiceError
        Unknown name.

    Examples
    --------
    >>> get_dataset("ne_10m_lakes").filename
    'ne_10m_lakes.zip'
    """
    check_choice("dataset", name, REGISTRY)
    return REGISTRY[name]


def _find_main(ds: Dataset) -> Path | None:
    folder = data_dir() / ds.name
    main = folder / ds.member
    if main.is_file():
        return main
    if folder.is_dir():
        found = sorted(p for p in folder.rglob(Path(ds.member).name) if p.is_file())
        if found:
            return found[0]
    return None


def path(name: str) -> Path:
    """Return the local path of a fetched dataset's main file.

    Parameters
    ----------
    name : str
        Registry name.

    Returns
    -------
    pathlib.Path
        For example ``<data dir>/ne_10m_countries/ne_10m_admin_0_countries.shp``.

    Raises
    ------
    DataSourceError
        The dataset has not been fetched; the message gives the command.
    ChoiceError
        Unknown name.

    Examples
    --------
    >>> import os, tempfile
    >>> from unittest import mock
    >>> with mock.patch.dict(os.environ, {"HAZID_DATA_DIR": tempfile.mkdtemp()}):
    ...     try:
    ...         path("ne_10m_lakes")
    ...     except DataSourceError as err:
    ...         print("hazid data fetch ne_10m_lakes" in str(err))
    True
    """
    ds = get_dataset(name)
    main = _find_main(ds)
    if main is None:
        raise DataSourceError(
            f"dataset {name} is not in {data_dir()}; get it with `hazid data fetch {name}` "
            f"(downloads {ds.url}), or put {ds.filename} in that directory and run the same command"
        )
    return main


def first_fetched(*prefixes: str) -> Path | None:
    """Return the first fetched dataset whose registry name starts with one of ``prefixes``.

    Prefixes are tried in order, names within a prefix alphabetically; datasets not in the data
    directory are skipped.

    Parameters
    ----------
    *prefixes : str
        Registry name prefixes, e.g. ``"hydrorivers_"``, ``"ne_10m_rivers"``.

    Returns
    -------
    pathlib.Path or None
        The main file of the first dataset found locally, or None.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["HAZID_DATA_DIR"] = tempfile.mkdtemp()
    >>> first_fetched("hydrorivers_", "ne_10m_rivers") is None
    True
    >>> del os.environ["HAZID_DATA_DIR"]
    """
    for prefix in prefixes:
        for name in sorted(n for n in REGISTRY if n.startswith(prefix)):
            try:
                return path(name)
            except DataSourceError:
                continue
    return None


def resolve_lakes(lakes: str | os.PathLike[str] | None = None) -> Path:
    """Find the lake polygons that end plain-line rivers.

    Order: ``lakes`` if given, else the environment variable ``HAZID_LAKES``,
    else Natural Earth lakes fetched with ``hazid data fetch ne_10m_lakes``,
    else the Natural Earth 1:10M lakes embedded in hazid
    (:func:`hazid.embedded.provenance`: large lakes and reservoirs only).

    Parameters
    ----------
    lakes : str or path-like, optional
        Explicit file.

    Returns
    -------
    pathlib.Path
        An existing file; :func:`hazid.embedded.provenance_for` says whether
        it is the embedded layer.

    Raises
    ------
    DataSourceError
        ``lakes`` or ``HAZID_LAKES`` names a missing file (the message gives
        its name), or no lakes are found at all.

    Examples
    --------
    >>> import os, tempfile
    >>> os.environ["HAZID_DATA_DIR"] = tempfile.mkdtemp()
    >>> saved = os.environ.pop("HAZID_LAKES", None)
    >>> resolve_lakes().name
    'ne_10m_lakes.parquet'
    >>> del os.environ["HAZID_DATA_DIR"]
    >>> if saved is not None:
    ...     os.environ["HAZID_LAKES"] = saved
    """
    origin = "given"
    if lakes is None and os.environ.get("HAZID_LAKES", "").strip():
        lakes, origin = os.environ["HAZID_LAKES"].strip(), "HAZID_LAKES"
    if lakes is not None:
        p = Path(lakes).expanduser()
        if not p.exists():
            raise DataSourceError(f"lakes file {p.name} ({origin}) does not exist")
        return p
    fetched = first_fetched("ne_10m_lakes")
    if fetched is not None:
        logger.info("lakes: %s (fetched with hazid data)", fetched.name)
        return fetched
    found = embedded.embedded_path("lakes")
    logger.info("lakes: %s", embedded.describe(embedded.provenance("lakes")))
    return found


def list_datasets() -> pd.DataFrame:
    """Describe the known datasets and whether each is available locally.

    Returns
    -------
    pandas.DataFrame
        Columns ``name``, ``title``, ``licence``, ``url``, ``homepage``,
        ``description``, ``local`` (bool) and ``path`` ('' when not fetched).

    Examples
    --------
    >>> df = list_datasets()
    >>> "hydrorivers_as" in set(df["name"])
    True
    """
    rows = []
    for ds in REGISTRY.values():
        main = _find_main(ds)
        rows.append(
            {
                "name": ds.name,
                "title": ds.title,
                "licence": ds.licence,
                "url": ds.url,
                "homepage": ds.homepage,
                "description": ds.description,
                "local": main is not None,
                "path": str(main) if main is not None else "",
            }
        )
    return pd.DataFrame(rows)


def _download(url: str, dest: Path, *, timeout: float) -> None:
    from hazid._version import __version__

    dest.parent.mkdir(parents=True, exist_ok=True)
    fd, tmp_name = tempfile.mkstemp(prefix=f".{dest.name}.", suffix=".part", dir=dest.parent)
    tmp = Path(tmp_name)
    request = urllib.request.Request(url, headers={"User-Agent": f"hazid/{__version__}"})
    logger.info("downloading %s", url)
    try:
        with os.fdopen(fd, "wb") as out, urllib.request.urlopen(request, timeout=timeout) as resp:
            shutil.copyfileobj(resp, out, length=1 << 20)
        os.replace(tmp, dest)
    except (urllib.error.URLError, OSError, ValueError) as err:
        tmp.unlink(missing_ok=True)
        raise DataSourceError(
            f"could not download {url}: {err}. Download it by other means and put it in "
            f"{dest.parent} (or {dest.parent.parent}), then run the fetch again"
        ) from err


def _extract(archive: Path, folder: Path) -> None:
    try:
        zf = zipfile.ZipFile(archive)
    except zipfile.BadZipFile as err:
        raise DataSourceError(
            f"{archive} is not a zip archive ({err}); delete it and fetch again"
        ) from err
    with zf:
        tmp = Path(tempfile.mkdtemp(prefix=".extract-", dir=folder))
        try:
            root = tmp.resolve()
            for info in zf.infolist():
                target = (tmp / info.filename).resolve()
                if root != target and root not in target.parents:
                    raise DataSourceError(f"{archive} holds an unsafe path: {info.filename}")
            zf.extractall(tmp)
            for entry in tmp.iterdir():
                final = folder / entry.name
                if final.is_dir() and not final.is_symlink():
                    shutil.rmtree(final)
                os.replace(entry, final)
        finally:
            shutil.rmtree(tmp, ignore_errors=True)


def fetch(
    name: str, *, base_url: str | None = None, force: bool = False, timeout: float = 60.0
) -> Path:
    """Download (if needed) and unpack a dataset; return its main file.

    Nothing is downloaded when the dataset is already unpacked, or when its
    archive is already in the data directory (or its sub-directory ``name``),
    unless ``force``. Downloads are streamed to a temporary file and renamed
    into place when complete; the archive's SHA-256, size and source are
    recorded in ``<data dir>/<name>/hazid-fetch.json``.

    Parameters
    ----------
    name : str
        Registry name (see :func:`list_datasets`).
    base_url : str, optional
        Mirror to download from instead of the official address: the
        archive's file name is appended. Default: ``HAZID_DATA_BASE_URL`` if set.
    force : bool, default False
        Download and unpack again even if present.
    timeout : float, default 60
        Network timeout in seconds.

    Returns
    -------
    pathlib.Path
        The main file, as :func:`path` returns it.

    Raises
    ------
    DataSourceError
        Download failed, the archive is not a zip or has unsafe paths, the
        checksum differs, or the main file is missing from the archive.
    ChoiceError
        Unknown name.

    Examples
    --------
    >>> import os, tempfile, zipfile
    >>> from unittest import mock
    >>> folder = tempfile.mkdtemp()
    >>> with zipfile.ZipFile(os.path.join(folder, "ne_10m_lakes.zip"), "w") as z:
    ...     z.writestr("ne_10m_lakes.shp", b"")
    >>> with mock.patch.dict(os.environ, {"HAZID_DATA_DIR": folder}):
    ...     fetch("ne_10m_lakes").name  # the archive is already there: no download
    'ne_10m_lakes.shp'
    """
    ds = get_dataset(name)
    folder = data_dir() / name
    if not force:
        main = _find_main(ds)
        if main is not None:
            return main
    folder.mkdir(parents=True, exist_ok=True)
    archive = folder / ds.filename
    local = next((p for p in (archive, data_dir() / ds.filename) if p.is_file()), None)
    base = base_url if base_url is not None else os.environ.get("HAZID_DATA_BASE_URL")
    url = f"{base.rstrip('/')}/{ds.filename}" if base else ds.url
    downloaded = local is None or force
    if downloaded:
        _download(url, archive, timeout=timeout)
        local = archive
        source = url
    else:
        logger.info("using the archive already present: %s", local)
        source = str(local)
    try:
        digest = file_sha256(local)
        if ds.sha256 and digest != ds.sha256:
            raise DataSourceError(
                f"checksum of {local} is {digest}, expected {ds.sha256}; delete it and fetch again"
            )
        _extract(local, folder)
    except DataSourceError:
        if downloaded:  # do not keep a bad download
            local.unlink(missing_ok=True)
        raise
    manifest = {
        "name": name,
        "source": source,
        "archive": local.name,
        "sha256": digest,
        "bytes": local.stat().st_size,
        "unpacked": datetime.now(UTC).isoformat(timespec="seconds"),
        "licence": ds.licence,
    }
    (folder / _MANIFEST).write_text(json.dumps(manifest, indent=2) + "\n", encoding="utf-8")
    main = _find_main(ds)
    if main is None:
        raise DataSourceError(f"{local} does not contain {ds.member}")
    logger.info("%s ready: %s", name, main)
    return main
