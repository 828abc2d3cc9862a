"""The SDP lookups the tests make."""
import re


def attrs(text, name):
    """The values of every a=name: line, in order."""
    return re.findall(r"^a=%s:(.*?)\r?$" % re.escape(name), text, re.M)


def attr(text, name):
    """The value of the first a=name: line (stripped), None without one."""
    values = attrs(text, name)
    return values[0].strip() if values else None


def m_ports(text):
    """The port of each m= line, in order."""
    return [int(line.split()[1]) for line in text.splitlines() if line.startswith("m=")]


def m_port(text):
    """The port of the first m= line."""
    return int(re.search(r"^m=\w+ (\d+)", text, re.M).group(1))
