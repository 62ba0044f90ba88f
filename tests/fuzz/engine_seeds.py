#!/usr/bin/env python3
# SPDX-FileCopyrightText: 2026 The Tether authors
# SPDX-License-Identifier: MIT
# Writes the hand-made seeds of fuzz_engine (tests/fuzz/corpus/engine/seed-*): short event
# scripts that reach Connected, Delivered, Rejected, requests and resume, which random
# inputs rarely do.   usage: tests/fuzz/engine_seeds.py tests/fuzz/corpus/engine
# Seeds for fuzz_engine: FuzzedDataProvider reads integers from the END of the input, so
# the stream of integer bytes is built in consumption order and reversed at the end.
import sys, os
def header(cbor, token=False, deflate=False):
    t = []
    # rng seed (quint32): bit 0 v1.1, bit 1 +deflate, (seed >> 2) % 512 the threshold (0 here)
    t += [1, 2, 0, 3] if deflate else [1, 2, 3, 4]
    t += [1 if cbor else 0]      # codec
    t += [1]                     # rawMode range 0..7: 1 -> not raw
    t += [9]                     # maxQueuedMessages -> 10
    t += [0, 200]                # maxQueuedBytes -> 264
    t += [0]                     # overflow RejectNew
    t += [3]                     # maxInFlight 4
    t += [0, 255]                # maxIncomingFrame 271
    t += [8]                     # recentIdWindow 8
    t += [0]                     # backgroundCloseDelay off
    t += [0 if token else 1]     # useToken
    t += [0]                     # maxAttempts
    t += [0x03, 0xe8]            # heartbeatInterval 1000
    t += [0x01, 0xf4]            # heartbeatTimeout 500
    t += [0x13, 0x88]            # requestTimeout 5000
    return t
def connect(): return [23]
def send(reliable=True): return [12, 1 if reliable else 0, 0, 1, 0, 1, 1, 0] + [0]*7 + [5]
def ack(): return [3, 0, 1, 1]          # small, type Ack, wireNumber picks a seen seq
def nack(): return [3, 0, 2, 1]         # + errorObject code string (front)
def request(): return [14, 0, 0x13, 0x88 & 0xff, 0, 0, 0, 7]  # timeout 2 bytes, retryable, payload qint32
def res(): return [3, 0, 4, 1, 1, 0] + [0]*8   # Res id from seen, payload int
def timeout(): return [10]
def jump(): return [11, 0, 0, 0x36, 0xee, 0x80]
def close(code_hi, code_lo): return [7, code_hi, code_lo]
def sub(): return [15, 1]
def suspend(): return [18, 0]
def build(tail, front=b''):
    return front + bytes(reversed(tail))
seeds = {}
for cbor in (False, True):
    c = 'cbor' if cbor else 'json'
    seeds[f'{c}-send-ack'] = header(cbor) + connect() + send() + ack() + send() + send() + ack() + timeout()
    seeds[f'{c}-send-nack'] = header(cbor) + connect() + send() + nack() + timeout()
    seeds[f'{c}-request-res'] = header(cbor) + connect() + request() + res() + sub() + res()
    seeds[f'{c}-close-resume'] = header(cbor) + connect() + send() + close(0x0f, 0xa0) + timeout() + timeout() + connect() + ack() + jump()
    seeds[f'{c}-suspend'] = header(cbor) + connect() + send(False) + send() + suspend() + connect() + ack()
    seeds[f'{c}-token'] = header(cbor, token=True) + [19, 1] + connect() + send() + ack() + close(0x0f, 0xa1) + timeout()
    # v1.1 with compressed batches (docs/protocol.md §10.5): serverFrame() then reads
    # "compressed?" and "damage" (0 none, 1 cut, 2 a byte changed).
    def ackz(damage=0): return ack() + [1, damage] + ([0, 3] if damage == 1 else [0, 5, 0x40] if damage == 2 else [])
    seeds[f'{c}-deflate-send-ack'] = header(cbor, deflate=True) + connect() + send() + send() + send() + ackz() + send() + ackz() + timeout()
    seeds[f'{c}-deflate-close-resume'] = header(cbor, deflate=True) + connect() + send() + send() + close(0x0f, 0xa0) + timeout() + timeout() + connect() + ackz() + jump()
    seeds[f'{c}-deflate-damaged'] = header(cbor, deflate=True) + connect() + send() + ackz(1) + timeout() + connect() + send() + ackz(2)
out = sys.argv[1]
for name, tail in seeds.items():
    open(os.path.join(out, 'seed-' + name), 'wb').write(build(tail, b'room\\'))
