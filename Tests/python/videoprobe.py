"""The independent MP4/H.264 decoder of the test suites: FFmpeg's own demuxer and decoder
(libavformat and libavcodec, shipped inside the PyAV wheel that scripts/setup-venv installs), so
the tests need no system ffmpeg and no root.

    python videoprobe.py probe FILE    [FORMAT] and [STREAM] blocks of key=value lines (ffprobe's
                                       default layout): format_name, duration, codec_name, profile,
                                       width, height, pix_fmt, duration, nb_frames, r_frame_rate
    python videoprobe.py decode FILE   every frame as raw yuv420p (Y, then U, then V, no padding)
                                       on stdout, in presentation order

The Swift MediaTests run it with the venv's python; the Python suite imports `probe` and `decode`.
Decoding is strict: FFmpeg's `err_detect=explode` turns any bitstream error into a failure, and any
message libav logs at warning level or above fails the run too (exit 1, the messages on stderr).
"""

from __future__ import annotations

import sys
from fractions import Fraction
from typing import Any, Iterator

import av
import av.logging


class DecoderComplaint(Exception):
    """libav reported a problem while reading the file."""


def _strict(messages: list[Any]) -> None:
    worst = [m for m in messages if m[0] <= av.logging.WARNING]
    if worst:
        raise DecoderComplaint("; ".join(f"{name}: {text.strip()}" for _, name, text in worst))


def _seconds(value: Fraction) -> str:
    return f"{float(value):.6f}"


def probe(path: str) -> dict[str, Any]:
    """The container and its streams, with ffprobe's field names; numbers as numbers."""
    av.logging.set_level(av.logging.WARNING)
    with av.logging.Capture() as logs, av.open(path) as container:
        streams = []
        for s in container.streams:
            entry: dict[str, Any] = {"index": s.index, "codec_type": s.type}
            if s.type == "video":
                cc = s.codec_context
                entry.update(codec_name=cc.name, profile=cc.profile, width=cc.width, height=cc.height,
                             pix_fmt=cc.pix_fmt, nb_frames=s.frames,
                             r_frame_rate=f"{s.base_rate.numerator}/{s.base_rate.denominator}" if s.base_rate else None)
            if s.duration is not None and s.time_base is not None:
                entry["duration"] = float(s.duration * s.time_base)
            streams.append(entry)
        result = {
            "format": {"format_name": container.format.name,
                       "duration": None if container.duration is None else container.duration / av.time_base},
            "streams": streams,
        }
    _strict(logs)
    return result


def decode(path: str) -> Iterator[bytes]:
    """Every video frame as one yuv420p buffer (width × height × 3/2 bytes)."""
    av.logging.set_level(av.logging.WARNING)
    with av.logging.Capture() as logs, av.open(path) as container:
        stream = container.streams.video[0]
        stream.codec_context.options = {"err_detect": "explode"}
        for frame in container.decode(stream):
            yuv = frame if frame.format.name == "yuv420p" else frame.reformat(format="yuv420p")
            planes = []
            for plane in yuv.planes:
                # Rows are padded to `line_size`; keep only the visible bytes.
                row, data = plane.width, bytes(plane)
                planes.append(b"".join(data[y * plane.line_size: y * plane.line_size + row] for y in range(plane.height)))
            yield b"".join(planes)
    _strict(logs)


def render_probe(result: dict[str, Any]) -> str:
    """ffprobe's default layout: one [SECTION] … [/SECTION] block per stream, then the format."""
    def block(name: str, fields: dict[str, Any]) -> str:
        lines = [f"[{name}]"]
        for key, value in fields.items():
            text = "N/A" if value is None else (_seconds(Fraction(value)) if key == "duration" else str(value))
            lines.append(f"{key}={text}")
        return "\n".join(lines + [f"[/{name}]"])
    return "\n".join([block("STREAM", s) for s in result["streams"]] + [block("FORMAT", result["format"])]) + "\n"


def main(argv: list[str]) -> int:
    if len(argv) != 3 or argv[1] not in ("probe", "decode"):
        print("usage: videoprobe.py probe|decode FILE", file=sys.stderr)
        return 2
    try:
        if argv[1] == "probe":
            sys.stdout.write(render_probe(probe(argv[2])))
        else:
            out = sys.stdout.buffer
            for frame in decode(argv[2]):
                out.write(frame)
            out.flush()
    except (DecoderComplaint, av.FFmpegError) as e:
        print(f"videoprobe: {e}", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv))
