"""Zip packages written part by part (hazid.output.zippackage), read back by zipfile."""

from __future__ import annotations

import zipfile
import zlib

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from hazid.errors import OutputError
from hazid.output import zippackage
from hazid.output.zippackage import ZipPackage

parts = st.dictionaries(
    st.from_regex(r"[a-z]{1,8}(/[a-z]{1,8})?\.xml", fullmatch=True),
    st.lists(st.binary(max_size=3000), max_size=4),
    max_size=5,
)


@settings(derandomize=True, max_examples=40, deadline=None)
@given(parts=parts)
def test_parts_read_back_as_written(tmp_path_factory, parts):
    path = tmp_path_factory.mktemp("zip") / "p.zip"
    with ZipPackage(path) as z:
        for name, chunks in parts.items():
            with z.part(name) as f:
                for chunk in chunks:
                    assert f.write(chunk) == len(chunk)
    with zipfile.ZipFile(path) as zf:
        assert zf.testzip() is None  # every CRC checked
        assert [i.filename for i in zf.infolist()] == list(parts)
        for info in zf.infolist():
            assert zf.read(info) == b"".join(parts[info.filename])
            assert info.compress_type == zipfile.ZIP_DEFLATED
            assert info.date_time == (1980, 1, 1, 0, 0, 0)


def test_same_parts_same_bytes_and_zlib_without_isal(tmp_path, monkeypatch):
    data = b"<row>" * 50_000

    def write(path):
        with ZipPackage(path) as z:
            z.add("xl/a.xml", data)
            z.add("b.xml", b"")
        return path.read_bytes()

    first = write(tmp_path / "1.zip")
    assert write(tmp_path / "2.zip") == first
    monkeypatch.setattr(zippackage, "_deflater", zlib)  # as without the isal package
    plain = write(tmp_path / "3.zip")
    with zipfile.ZipFile(tmp_path / "3.zip") as zf:
        assert zf.read("xl/a.xml") == data and zf.read("b.xml") == b""
    level1 = zlib.compressobj(1, 8, -15)
    assert len(level1.compress(data) + level1.flush()) in [
        i.compress_size for i in zipfile.ZipFile(tmp_path / "3.zip").infolist()
    ]
    assert len(plain) > 0


def test_a_part_of_4_gib_is_refused(tmp_path, monkeypatch):
    monkeypatch.setattr(zippackage, "LIMIT", 100)  # 4 GiB, scaled down
    big = pytest.raises(OutputError, match=r"cannot write big\.zip: larger than 4 GiB")
    with big, ZipPackage(tmp_path / "big.zip") as z:
        z.add("a.xml", bytes(range(256)) * 4)
    many = pytest.raises(OutputError, match=r"cannot write many\.zip: larger than 4 GiB")
    with many, ZipPackage(tmp_path / "many.zip") as z:
        for k in range(10):
            z.add(f"p{k}.xml", b"x")


def test_an_error_while_writing_closes_the_file(tmp_path):
    path = tmp_path / "p.zip"
    with pytest.raises(ValueError, match="stop"), ZipPackage(path) as z, z.part("a.xml") as f:
        f.write(b"abc")
        raise ValueError("stop")
    assert z._file.closed
    with pytest.raises(zipfile.BadZipFile):  # no central directory: not a finished archive
        zipfile.ZipFile(path)
