"""What every reader returns, and the error it raises for a file it cannot read."""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd


class SourceError(Exception):
    """A file cannot be read at all. Names the file, and the line/column where known."""

    def __init__(self, path: Path | str, reason: str, line: int | None = None, column: str | None = None):
        self.path, self.reason, self.line, self.column = Path(path), reason, line, column
        where = f"{self.path}"
        if line is not None:
            where += f", line {line}"
        if column is not None:
            where += f", column {column}"
        super().__init__(f"{where}: {reason}")


@dataclass
class Reject:
    """One row (or cell) that was not loaded, with why. Kept in the store's `rejects` table."""

    file: str
    line: int | None
    column: str | None
    value: str | None
    reason: str


@dataclass
class ReadResult:
    """Rows for one or more store tables from one file, plus what was read and rejected.

    `tables` maps a store table name (see docs/schema.md) to a DataFrame with that table's columns.
    """

    kind: str
    path: Path
    tables: dict[str, pd.DataFrame] = field(default_factory=dict)
    rows_read: int = 0
    rows_loaded: int = 0
    rejects: list[Reject] = field(default_factory=list)
    years: list[int] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)


def read_text(path: Path) -> str:
    """Read a text file as UTF-8 (BOM stripped). A non-UTF-8 file is a SourceError naming the line."""
    data = Path(path).read_bytes()
    if not data.strip():
        raise SourceError(path, "the file is empty")
    try:
        return data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        line = data[: exc.start].count(b"\n") + 1
        raise SourceError(path, f"not UTF-8 text (byte 0x{data[exc.start]:02x} at offset {exc.start})",
                          line=line) from None


def read_csv_rows(path: Path) -> tuple[list[str], list[list[str]]]:
    """Header and rows of a CSV, UTF-8 with or without BOM, CRLF or LF. Short rows are kept short."""
    text = read_text(path)
    reader = csv.reader(io.StringIO(text, newline=""))
    try:
        header = next(reader)
    except StopIteration:
        raise SourceError(path, "the file is empty") from None
    try:
        rows = list(reader)
    except csv.Error as exc:
        raise SourceError(path, f"malformed CSV: {exc}", line=reader.line_num) from None
    return [h.strip() for h in header], rows


def header_of(path: Path, max_bytes: int = 65536) -> list[str]:
    """The first CSV line of a file, upper-cased, for sniffing. Empty list when unreadable."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(max_bytes)
        first = head.decode("utf-8-sig", errors="replace").splitlines()[0]
        return [c.strip().strip('"').upper() for c in next(csv.reader([first]))]
    except (OSError, IndexError, StopIteration):
        return []
