"""Tests for hazid.datasets: registry, data directory, fetch from a local HTTP server."""

from __future__ import annotations

import hashlib
import http.server
import json
import sys
import threading
import zipfile
from functools import partial
from pathlib import Path

import geopandas as gpd
import pytest
from shapely.geometry import box

from hazid import datasets, embedded
from hazid.errors import ChoiceError, DataSourceError
from hazid.geography import load_borders


@pytest.fixture(autouse=True)
def data_dir(tmp_path, monkeypatch):
    folder = tmp_path / "data"
    monkeypatch.setenv("HAZID_DATA_DIR", str(folder))
    monkeypatch.delenv("HAZID_DATA_BASE_URL", raising=False)
    return folder


class Server:
    """A static HTTP server on 127.0.0.1 (ephemeral port) that counts requests."""

    def __init__(self, root: Path) -> None:
        self.root = root
        self.requests: list[str] = []
        server = self

        class Handler(http.server.SimpleHTTPRequestHandler):
            def log_message(self, *args):  # keep the test output clean
                pass

            def do_GET(self):
                server.requests.append(self.path)
                super().do_GET()

        self.httpd = http.server.ThreadingHTTPServer(
            ("127.0.0.1", 0), partial(Handler, directory=str(root))
        )
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"
        self.thread = threading.Thread(target=self.httpd.serve_forever, daemon=True)
        self.thread.start()

    def close(self) -> None:
        self.httpd.shutdown()
        self.httpd.server_close()
        self.thread.join()


@pytest.fixture
def server(tmp_path):
    root = tmp_path / "www"
    root.mkdir()
    srv = Server(root)
    yield srv
    srv.close()


def countries_zip(folder: Path, name="ne_10m_admin_0_countries.zip") -> Path:
    """A real (tiny) Natural-Earth-like shapefile, zipped like the official archive."""
    shp_dir = folder / "shp"
    shp_dir.mkdir(parents=True, exist_ok=True)
    gpd.GeoDataFrame(
        {"ISO_A3": ["-99", "KGZ"], "ADM0_A3": ["NOR", "KGZ"], "NAME": ["Norway", "Kyrgyzstan"]},
        geometry=[box(5, 58, 30, 70), box(69, 39, 80, 43)],
        crs="EPSG:4326",
    ).to_file(shp_dir / "ne_10m_admin_0_countries.shp")
    path = folder / name
    with zipfile.ZipFile(path, "w") as z:
        for f in sorted(shp_dir.iterdir()):
            z.write(f, f.name)
    return path


def sha256(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def test_registry_and_list():
    df = datasets.list_datasets()
    assert list(df.columns) == [
        "name", "title", "licence", "url", "homepage", "description", "local", "path",
    ]  # fmt: skip
    names = set(df["name"])
    assert {"ne_10m_countries", "ne_10m_rivers", "ne_10m_lakes"} <= names
    for region in ("af", "ar", "as", "au", "eu", "na", "sa", "si"):
        ds = datasets.get_dataset(f"hydrorivers_{region}")
        assert ds.url == (
            f"https://data.hydrosheds.org/file/HydroRIVERS/HydroRIVERS_v10_{region}_shp.zip"
        )
        assert ds.member == f"HydroRIVERS_v10_{region}_shp/HydroRIVERS_v10_{region}.shp"
        assert "Lehner" in ds.licence
    ne = datasets.get_dataset("ne_10m_countries")
    assert ne.url == "https://naciscdn.org/naturalearth/10m/cultural/ne_10m_admin_0_countries.zip"
    assert datasets.get_dataset("ne_10m_rivers").url.endswith(
        "/10m/physical/ne_10m_rivers_lake_centerlines.zip"
    )
    assert "Public domain" in ne.licence
    assert not df["local"].any() and (df["path"] == "").all()
    with pytest.raises(ChoiceError, match="dataset must be one of"):
        datasets.get_dataset("ne_1m_countries")


def test_data_dir_defaults(monkeypatch, tmp_path):
    monkeypatch.delenv("HAZID_DATA_DIR")
    monkeypatch.setattr(sys, "platform", "linux")
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "xdg"))
    assert datasets.data_dir() == tmp_path / "xdg" / "hazid"
    monkeypatch.delenv("XDG_CACHE_HOME")
    monkeypatch.setenv("HOME", str(tmp_path / "home"))
    assert datasets.data_dir() == tmp_path / "home" / ".cache" / "hazid"
    monkeypatch.setattr(sys, "platform", "darwin")
    assert datasets.data_dir() == tmp_path / "home" / "Library" / "Caches" / "hazid"
    monkeypatch.setattr(sys, "platform", "win32")
    monkeypatch.setenv("LOCALAPPDATA", str(tmp_path / "local"))
    assert datasets.data_dir() == tmp_path / "local" / "hazid" / "Cache"


def test_path_before_fetch_says_how():
    with pytest.raises(DataSourceError, match="hazid data fetch ne_10m_countries"):
        datasets.path("ne_10m_countries")


def test_fetch_downloads_unpacks_and_records(server, data_dir):
    archive = countries_zip(server.root)
    main = datasets.fetch("ne_10m_countries", base_url=server.url + "/")
    assert server.requests == ["/ne_10m_admin_0_countries.zip"]
    assert main == data_dir / "ne_10m_countries" / "ne_10m_admin_0_countries.shp"
    assert datasets.path("ne_10m_countries") == main
    manifest = json.loads((data_dir / "ne_10m_countries" / "hazid-fetch.json").read_text())
    assert manifest["sha256"] == sha256(archive)
    assert manifest["bytes"] == archive.stat().st_size
    assert manifest["source"] == f"{server.url}/ne_10m_admin_0_countries.zip"
    assert not list((data_dir / "ne_10m_countries").glob(".*"))  # no temporary files left
    borders = load_borders(main)
    assert borders["iso_a3"].tolist() == ["KGZ", "NOR"]
    listed = datasets.list_datasets().set_index("name")
    assert bool(listed.loc["ne_10m_countries", "local"]) is True
    # already there: no second download, unless forced
    assert datasets.fetch("ne_10m_countries", base_url=server.url) == main
    assert len(server.requests) == 1
    datasets.fetch("ne_10m_countries", base_url=server.url, force=True)
    assert len(server.requests) == 2


def test_fetch_base_url_from_environment(server, monkeypatch):
    countries_zip(server.root)
    monkeypatch.setenv("HAZID_DATA_BASE_URL", server.url)
    assert datasets.fetch("ne_10m_countries").name == "ne_10m_admin_0_countries.shp"
    assert server.requests == ["/ne_10m_admin_0_countries.zip"]


def test_fetch_offline_from_predownloaded_archive(data_dir, server):
    data_dir.mkdir(parents=True)
    archive = countries_zip(data_dir)
    main = datasets.fetch("ne_10m_countries", base_url=server.url)
    assert server.requests == []
    assert main.is_file()
    manifest = json.loads((data_dir / "ne_10m_countries" / "hazid-fetch.json").read_text())
    assert manifest["source"] == str(archive) and manifest["sha256"] == sha256(archive)


def test_fetch_nested_member(server, data_dir):
    with zipfile.ZipFile(server.root / "HydroRIVERS_v10_as_shp.zip", "w") as z:
        z.writestr("HydroRIVERS_v10_as_shp/HydroRIVERS_v10_as.shp", b"x")
        z.writestr("HydroRIVERS_v10_as_shp/HydroRIVERS_v10_as.dbf", b"x")
    main = datasets.fetch("hydrorivers_as", base_url=server.url)
    assert main == data_dir / "hydrorivers_as" / "HydroRIVERS_v10_as_shp" / "HydroRIVERS_v10_as.shp"


def test_fetch_http_error_leaves_nothing(server, data_dir):
    with pytest.raises(DataSourceError, match=r"could not download .*ne_10m_lakes\.zip.*404"):
        datasets.fetch("ne_10m_lakes", base_url=server.url)
    folder = data_dir / "ne_10m_lakes"
    assert folder.is_dir() and not list(folder.iterdir())  # no partial download left


def test_fetch_rejects_bad_archives(server, data_dir):
    (server.root / "ne_10m_lakes.zip").write_text("<html>not found</html>")
    with pytest.raises(DataSourceError, match="is not a zip archive"):
        datasets.fetch("ne_10m_lakes", base_url=server.url)
    assert not list((data_dir / "ne_10m_lakes").iterdir())  # the bad download is removed
    with zipfile.ZipFile(server.root / "ne_10m_rivers_lake_centerlines.zip", "w") as z:
        z.writestr("../escape.shp", b"x")
    with pytest.raises(DataSourceError, match=r"unsafe path: \.\./escape\.shp"):
        datasets.fetch("ne_10m_rivers", base_url=server.url)
    assert not (data_dir / "escape.shp").exists()
    with zipfile.ZipFile(server.root / "ne_10m_admin_0_countries.zip", "w") as z:
        z.writestr("readme.txt", b"x")
    with pytest.raises(DataSourceError, match=r"does not contain ne_10m_admin_0_countries\.shp"):
        datasets.fetch("ne_10m_countries", base_url=server.url)


def test_fetch_checks_known_checksum(server, monkeypatch):
    countries_zip(server.root)
    entry = datasets.get_dataset("ne_10m_countries")
    pinned = datasets.Dataset(**{**entry.__dict__, "sha256": "0" * 64})
    monkeypatch.setitem(datasets.REGISTRY, "ne_10m_countries", pinned)
    with pytest.raises(DataSourceError, match=r"checksum of .* expected 0000"):
        datasets.fetch("ne_10m_countries", base_url=server.url)


def test_fetched_rivers_and_lakes_are_found_without_settings(tmp_path, monkeypatch):
    from hazid.rivers import resolve_rivers

    monkeypatch.setenv("HAZID_DATA_DIR", str(tmp_path))
    monkeypatch.delenv("HAZID_RIVERS", raising=False)
    assert resolve_rivers() == embedded.embedded_path("rivers")  # the last resort
    monkeypatch.setattr(embedded, "GEODATA_DIR", tmp_path / "no-embedded-data")
    with pytest.raises(DataSourceError, match="hazid data fetch hydrorivers_as"):
        resolve_rivers()
    ne = datasets.REGISTRY["ne_10m_rivers"]
    main = tmp_path / ne.name / ne.member
    main.parent.mkdir(parents=True)
    main.write_bytes(b"fetched")
    assert resolve_rivers() == main
    hr = datasets.REGISTRY["hydrorivers_si"]
    preferred = tmp_path / hr.name / hr.member
    preferred.parent.mkdir(parents=True)
    preferred.write_bytes(b"fetched")
    assert resolve_rivers() == preferred  # HydroRIVERS (with discharge) before Natural Earth
    assert datasets.first_fetched("ne_10m_lakes") is None
