"""Numbers as Indonesian writes them: a comma before the decimals, a dot between thousands."""


def number(value, decimals=0) -> str:
    """1234567.5 → "1.234.567,5" (with decimals=1)."""
    text = f"{value:,.{decimals}f}"
    return text.replace(",", "\x00").replace(".", ",").replace("\x00", ".")


def file_size(size) -> str:
    """Bytes as "812 B", "12,4 KB", "30,0 MB"."""
    size = float(size or 0)
    if size < 1024:
        return f"{number(size)} B"
    for unit in ("KB", "MB", "GB"):
        size /= 1024
        if size < 1024 or unit == "GB":
            return f"{number(size, 1)} {unit}"
    raise AssertionError("unreachable")


def megabytes(size) -> str:
    return f"{number(size / 1048576, 1)} MB"
