#!/usr/bin/env python3
"""Rewrites the keyframe flags of an AVI's idx1 index for the first video
stream ('00dc' chunks), as some muxers write them wrongly:
  avi-keyflags.py FILE all     every video chunk claims to be a keyframe
  avi-keyflags.py FILE intra   every H.264 chunk holding an I slice does,
                               IDR or not (non-IDR I-frames are no clean
                               random-access point when later frames refer
                               back past them)
"""
import struct
import sys

KEYFRAME = 0x10


def read_ue(data, bit):
    zeros = 0
    while not (data[bit // 8] >> (7 - bit % 8)) & 1:
        zeros += 1
        bit += 1
    bit += 1
    value = 0
    for _ in range(zeros):
        value = value * 2 + ((data[bit // 8] >> (7 - bit % 8)) & 1)
        bit += 1
    return (1 << zeros) - 1 + value, bit


def has_i_slice(chunk):
    at = 0
    while True:
        at = chunk.find(b"\x00\x00\x01", at)
        if at < 0 or at + 4 >= len(chunk):
            return False
        nal_type = chunk[at + 3] & 0x1F
        if nal_type in (1, 5):
            _, bit = read_ue(chunk[at + 4:at + 16], 0)  # first_mb_in_slice
            slice_type, _ = read_ue(chunk[at + 4:at + 16], bit)
            return slice_type % 5 == 2
        at += 3


def main():
    path, mode = sys.argv[1], sys.argv[2]
    data = bytearray(open(path, "rb").read())
    movi = data.find(b"movi")
    idx = data.rfind(b"idx1")
    size = struct.unpack_from("<I", data, idx + 4)[0]
    for entry in range(idx + 8, idx + 8 + size, 16):
        ckid, flags, offset, length = struct.unpack_from("<4sIII", data, entry)
        if ckid != b"00dc":
            continue
        chunk = data[movi + offset + 8:movi + offset + 8 + length]
        if mode == "all" or (mode == "intra" and has_i_slice(chunk)):
            struct.pack_into("<I", data, entry + 4, flags | KEYFRAME)
    open(path, "wb").write(data)


main()
