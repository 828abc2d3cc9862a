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


def audio_sdp(ip, port, proto, extra=""):
    """A one-line PCMU audio SDP of a party at ip:port with profile proto, plus extra lines."""
    return ("v=0\r\no=- 1 1 IN IP4 %s\r\ns=-\r\nc=IN IP4 %s\r\nt=0 0\r\n"
            "m=audio %d %s 0\r\na=rtpmap:0 PCMU/8000\r\n%s" % (ip, ip, port, proto, extra))


def reply_sdp(reply):
    """The sdp of an ng reply as text ("" without one)."""
    v = (reply or {}).get("sdp", "")
    return v.decode() if isinstance(v, bytes) else v
