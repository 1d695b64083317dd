"""Generates models/aec.onnx: the echo canceller, one 10 ms hop (160 samples at 16 kHz) per call.

Stage 1 — linear echo canceller: a partitioned-block frequency-domain Kalman filter (the "state-space
FDAF" of Enzner & Vary, partitioned as in Kuech et al. 2014), overlap-save with hop R and DFT size
M = 2R, P partitions (P x 10 ms of echo path). The Kalman gain divides by the error power PhiS, so
the step size shrinks by itself when the customer talks (double talk) and grows when the filter is
wrong: no separate double-talk detector is needed to protect the filter. The gradient constraint is
applied to NC partitions per hop, round-robin (the caller passes which), to keep the cost flat.
Nonlinear echo: nl_channels more channels (the cube of the high-passed reference; see CFG and
src/frontend/README.md) of nl_partitions each; the filter treats their partitions like the
reference's ("virtual partitions", PT in all), only the delay lines are per channel.

Stage 2 — residual echo and noise suppressor on a sqrt-Hann STFT (same M, hop R, 10 ms latency):
residual echo PSD = the part of the error spectrum coherent with the echo estimate (|S_ey|^2/S_yy,
insensitive to the customer's speech, which is uncorrelated with the echo) plus a small share of the
echo estimate (nonlinear loudspeaker distortion), held by a reverberation-like decay; noise PSD by
minimum tracking. A double-talk flag (error energy clearly above residual echo + noise while the far
end plays; judged against its own residual estimate with a lower distortion floor, see build())
lowers the echo over-estimation so the customer's speech survives; a Wiener gain with
decision-directed SNR and floors (deep for echo, shallow for noise) gives the output.

All state is passed in and out as one packed tensor (input s_spec, output n_spec of the same shape);
aec.json lists its parts (rows) with initial values. The graph is shaped for onnxruntime's
per-call costs: few tensors per run, few nodes, few state bytes (onnxruntime-node copies every output
into a fresh buffer), and one DFT and one IDFT matrix for all transforms (a 1-row MatMul costs what
streaming its weights costs); the math is what the docstrings say.
Deterministic: same constants, same bytes.

Run: /usr/bin/python3 models/gen/aec.py   (Debian python3-onnx, python3-numpy)
"""
import json
import os
import sys

import numpy as np
import onnx

sys.path.insert(0, os.path.dirname(__file__))
from graph import G, write_model  # noqa: E402

R = 160           # hop (10 ms at 16 kHz)
M = 2 * R         # DFT size
K = M // 2 + 1    # bins
P = int(os.environ.get("AEC_P", 32))    # partitions: 320 ms of echo path
NC = int(os.environ.get("AEC_NC", 4))   # partitions constrained per hop (round-robin): all P every P/NC hops

CFG = dict(
    mu=1.0,            # Kalman gain scale
    phis_floor=1e-9,   # floor of the observation-noise PSD
    beta=0.5,          # smoothing of the observation-noise PSD (error power)
    a2=0.9995,         # process noise (1 - A^2)|W|^2: how fast the echo path may change
    q0=1e-9,           # process-noise floor
    psi0=5.0,          # initial state uncertainty (echo path gains up to ~|H|^2 = 25 in the corpus)
    psi_flat=12,       # partitions (x10 ms) of full initial uncertainty
    psi_decay_db=2.0,  # then the prior falls this much per partition
    lam=0.9,           # smoothing of the suppressor's PSDs
    leak_min=0.005,    # bounds of the estimated share of the echo estimate that remains (nonlinear echo)
    leak_max=0.5,
    leak_smooth=0.98,  # smoothing of the leak statistics (~0.5 s)
    # OFF (0): a double-talk detector with its own residual estimate (see build() and "Tuning
    # history" in src/frontend/README.md); measured {"leak_min_dt":0.0003,"dt_ratio_floor":3,
    # "dt_far_hops":10}: fewer misses, more false starts
    leak_min_dt=0,       # leak floor of the double-talk detector's own residual estimate
    dt_ratio_floor=3.0,  # ...which also needs near-end energy this far above the floored residual
    dt_far_hops=10,      # ...and only after this many hops of far-end audio in a row
    over_st=3.0,       # echo over-estimation, far end alone
    over_dt=0.3,       # echo over-estimation, double talk (0.5 left seeds 3 and 5 at 14.9 dB SDR)
    decay=0.79,        # residual echo hold per hop (about 10 dB per 100 ms)
    dt_ratio=8.0,      # near-end energy above residual echo for double talk
    dt_hang=8,         # double-talk hangover, hops
    noise_rise=1.005,  # noise floor tracker rise per hop
    alpha_dd=0.9,      # decision-directed smoothing
    gmin_echo=0.003,   # gain floor where echo dominates (-50 dB)
    gmin_noise=0.3,    # gain floor where noise dominates (-10 dB)
    far_thr=1e-4,      # echo-estimate power that counts as "far end active"
    # The near-end detector's probability of the previous hop (the last value of `frame`) at or
    # above this also counts as double talk for the suppressor (0: no such input). The energy flag
    # misses customers 12-15 dB under the echo; the suppressor then takes them for echo (SDR).
    ne_dt=0.5,
    # Nonlinear echo (a small loudspeaker driven hard): nl_channels extra filter channels of nl_partitions
    # partitions each, fed with powers of the reference after a fixed high-pass (the cone's own low cut:
    # its excursion, and so its distortion, follows the high-passed drive); see build(). 0: linear only.
    nl_channels=0,     # 0: off (shipped, see src/frontend/README.md); 1: the cube; 2: the cube and the square
    nl_partitions=16,  # 160 ms: bulk delay + direct path + early reflections, where the energy is
    nl_hp_hz=150.0,    # the high-pass ahead of the nonlinearity (first order)
    nl_level=0.25,     # the powers are scaled to equal the signal at this amplitude (-12 dBFS)
    nl_psi=0.001,      # their filters' initial uncertainty, relative to psi0 (see src/frontend/README.md)
)


def dft_mats():
    n = np.arange(M)[:, None]
    k = np.arange(K)[None, :]
    th = 2 * np.pi * n * k / M
    C, S = np.cos(th), -np.sin(th)                      # [M,K]: X = x @ C + i x @ S
    ck = np.full(K, 2.0); ck[0] = ck[-1] = 1.0
    IC, IS = (ck[:, None] * np.cos(th.T)) / M, (-ck[:, None] * np.sin(th.T)) / M  # [K,M]
    return C, S, IC, IS


def hp_matrix(fc):
    """[R+2, R]: one hop of the first-order high-pass v[n] = a (v[n-1] + x[n] - x[n-1]) as a product,
    rows [x[-1], v[-1], x[0..R-1]] (the previous hop's last input and output, then this hop)."""
    a = np.exp(-2 * np.pi * fc / 16000.0)
    m = np.zeros((R + 2, R))
    n = np.arange(R)
    m[0, :] = -a ** (n + 1)               # x[-1], from the x[0] - x[-1] term
    m[1, :] = a ** (n + 1)                # v[-1]
    for j in range(R):
        m[2 + j, j:] += a ** (n[j:] - j + 1)      # x[j] in the x[j] - x[j-1] term
        m[2 + j, j + 1:] -= a ** (n[j + 1:] - j)  # ... and in the x[j+1] - x[j] term
    return m


# Band edges for the detector's features (Hz, a Bark-like scale): NB bands of the K bins.
BAND_EDGES = [0, 100, 200, 300, 400, 510, 630, 770, 920, 1080, 1270, 1480, 1720, 2000, 2320, 2700, 3150, 3700,
              4400, 5300, 6400, 8001]
NB = len(BAND_EDGES) - 1


def band_matrix():
    """[K,NB]: sums the bins of each band (bin k is at k * 8000 / (K - 1) Hz)."""
    hz = np.arange(K) * 8000.0 / (K - 1)
    m = np.zeros((K, NB))
    for b in range(NB):
        m[(hz >= BAND_EDGES[b]) & (hz < BAND_EDGES[b + 1]), b] = 1.0
    return m


def build():
    C, S, IC, IS = dft_mats()
    win = np.sqrt(0.5 - 0.5 * np.cos(2 * np.pi * np.arange(M) / M))
    g = G("voiceterm_aec")
    c = CFG
    f32 = lambda a: np.asarray(a, np.float32)
    # filter channels: the reference (P partitions), then NL nonlinear ones (PN partitions each); the
    # Kalman filter treats every partition of every channel alike ("virtual partitions", PT in all),
    # only the delay lines are per channel
    NL = int(c["nl_channels"])
    PN = int(c["nl_partitions"]) if NL else 0
    PT = P + NL * PN
    chans = [P] + [PN] * NL

    # Inputs and outputs are few packed tensors: onnxruntime-node spends time binding each tensor
    # of a run, more than most nodes cost. Split/Concat of the packed state is one kernel each.
    ne_in = 1 if c["ne_dt"] else 0
    frame = g.input("frame", [1, 2 * R + ne_in])                        # [mic | ref | near-end prob]
    # rows of W (real parts 0..PT-1, imaginary parts PT..2PT-1) to constrain this hop: [[c, c+PT], ..]
    cidx = g.input("cidx", [NC, 2, 1], onnx.TensorProto.INT64)
    mic, ref, *ne = g.split(frame, [R, R] + [1] * ne_in, axis=1)
    # spectral state: rows of K bins; scalars are rows too (one value repeated over the bins).
    # |X|^2 is recomputed from X each hop rather than kept: every state byte is copied out of the
    # run (onnxruntime-node copies each output into a fresh buffer), and those 32 rows cost more
    # than two products and a sum. Rows that the graph updates together are neighbours, so that
    # they are one piece of the Split and one block of the output Concat: See_s, Syy_s after the
    # cross-spectrum (the order of the stacked spectra below), Pey next to Pyy.
    spec = [("Ah", 2 * (1 + NL)), ("Xr", PT), ("Xi", PT), ("Wr", PT), ("Wi", PT), ("Psi", PT), ("PhiS", 1), ("Sey_r", 1),
            ("Sey_i", 1), ("See_s", 1), ("Syy_s", 1), ("Rprev", 1), ("N", 1), ("GS", 1), ("dtc", 1), ("Pey", 1),
            ("Pyy", 1)] + ([("Rprev_dt", 1), ("farc", 1)] if c["leak_min_dt"] else [])
    # the time-domain state: rows of R samples, stored in the first R columns of K-wide rows (one
    # packed tensor: each tensor bound to a run costs more than the two nodes that pad and cut it)
    time = [("eprev", 1), ("yprev", 1), ("olap", 1)] + ([("hp", 1)] if NL else [])
    s_spec = g.input("s_spec", [sum(n for _, n in spec + time), K])
    # pieces as the graph uses them: the oldest partition of X split off (the shift drops it),
    # Wr and Wi together, the four smoothed spectra together, Pey and Pyy together
    # (per channel: its delay line's partitions but the oldest, then the oldest)
    xs = sum(([n - 1, 1] for n in chans), [])
    pieces = g.split(s_spec, [2 * (1 + NL)] + xs + xs + [2 * PT, PT, 1, 4, 1, 1, 1, 1, 2] + [1] * (len(spec) - 17)
                     + [len(time)])
    Ah, Xr_keep, Xi_keep = pieces[0], pieces[1:1 + len(xs):2], pieces[1 + len(xs):1 + 2 * len(xs):2]
    W, Psi, PhiS, S4, Rprev, Nn, GS, dtc, P2, *dt_rows, T3 = pieces[1 + 2 * len(xs):]
    if NL:
        eyprev, olap, hp = g.split(g.slice(T3, 0, R, axis=1), [2, 1, 1])  # [eprev; yprev], olap, hp
    else:
        eyprev, olap = g.split(g.slice(T3, 0, R, axis=1), [2, 1])       # [eprev; yprev], olap

    # ---- stage 1: partitioned-block frequency-domain Kalman filter ----------------------------
    # Complex tensors are [2,...] stacks (real, imaginary); W is [2,PT,K] = [Wr; Wi]. The products
    # over partitions broadcast one [PT,K] part of X over both parts of W or of E, so no negated or
    # swapped copy of X is ever built:
    #   sum_p X W:   Xr*[Wr;Wi] and Xi*[Wr;Wi] hold the four real products (XrWr, XrWi, XiWr,
    #                XiWi); [2,2P] matrices of +-1 sum them over p into Re and Im (below)
    #   conj(X) E:   Xr*[Er;Ei] + Xi*[Ei;-Er] = [XrEr + XiEi; XrEi - XiEr]
    # (Only broadcasts and products. Sums over partitions are MatMuls with a constant matrix of ones:
    # onnxruntime's ReduceSum over a leading axis is ~2 us slower per call.)
    # Every DFT and IDFT here is a MatMul with a [R,2K] or [2K,R] matrix, and a 1-row MatMul costs
    # about what streaming its weights costs. With M = 2R, C[n+R,k] = (-1)^k C[n,k] (and S, IC, IS
    # alike), so the second half of any frame is transformed with the first half's matrix and a
    # sign per bin: DFT([a, b]) = a @ CS + (b @ CS) * sgn, and the last R samples of an IDFT are
    # (Z * sgn) @ ICS. So one DFT matrix CS and one IDFT matrix ICS (206 KB each) serve all five
    # products, and the rows that are ready at the same time share one product.
    CS = g.const(f32(np.hstack([C[:R], S[:R]])))                       # [R,2K]: DFT of [x, 0]
    ICS = g.const(f32(np.vstack([IC[:, :R], IS[:, :R]])))               # [2K,R]: first R samples of the IDFT
    sgn = g.const(f32((-1.0) ** np.arange(K))[None, :])                 # [1,K]
    sgn2 = g.const(f32(np.tile((-1.0) ** np.arange(K), 2))[None, :])    # [1,2K]
    # X0 = DFT of [previous ref, ref]; Ah = the previous ref's half (ref @ CS of the last hop), [2,K]
    # (two branches rather than the general one with NL = 0: the linear graph keeps session 7's nodes
    # and bytes, and no Split or Reshape that a single channel does not need)
    if NL:
        # Nonlinear channels (a Hammerstein model: memoryless powers of the loudspeaker's drive, then
        # the room): the linear filter alone leaves a hard-driven loudspeaker's harmonics 20-30 dB under
        # its echo, which is the customer's level when they talk 15 dB under the agent. The powers are
        # of the high-passed reference v (state: last input and output of the high-pass), scaled to
        # equal v at nl_level; each channel's filter learns its own path, as the reference's does.
        v = g.mm(g.concat(g.slice(hp, 0, 2, axis=1), ref, axis=1), g.const(f32(hp_matrix(c["nl_hp_hz"]))))
        v2 = g.sq(v)
        lv = c["nl_level"]
        powers = [g.scale(g.mul(v2, v), 1 / lv ** 2), g.scale(v2, 1 / lv)][:NL]    # cube, square
        nhp = g.concat(g.slice(ref, R - 1, R, axis=1), g.slice(v, R - 1, R, axis=1), axis=1)  # [1,2]
        A = g.mm(g.concat(ref, *powers), CS)                                # [1+NL, 2K]
        X0 = g.add(g.reshape(Ah, [1 + NL, 2, K]), g.mul(g.reshape(A, [1 + NL, 2, K]), sgn))
        X0r, X0i = [g.split(g.reshape(h, [1 + NL, K]), [1] * (1 + NL)) for h in g.split(X0, [1, 1], axis=1)]
        # newest partition first in each channel's delay line, [PT,K]
        nXr = g.concat(*[x for pair in zip(X0r, Xr_keep) for x in pair])
        nXi = g.concat(*[x for pair in zip(X0i, Xi_keep) for x in pair])
        A = g.reshape(A, [2 * (1 + NL), K])
    else:
        A = g.reshape(g.mm(ref, CS), [2, K])
        X0 = g.add(Ah, g.mul(A, sgn))                                   # [X0r; X0i]
        X0r, X0i = g.split(X0, [1, 1])
        nXr = g.concat(X0r, Xr_keep[0])                                 # newest partition first, [P,K]
        nXi = g.concat(X0i, Xi_keep[0])
    W3 = g.reshape(W, [2, PT, K])
    # Y = sum_p X W = (XrWr - XiWi) + i (XrWi + XiWr)
    ones, zeros = np.ones(PT), np.zeros(PT)
    sum_r = g.const(f32([np.r_[ones, zeros], np.r_[zeros, ones]]))      # [2,2P]: Xr*[Wr;Wi] -> [XrWr; XrWi]
    sum_i = g.const(f32([np.r_[zeros, -ones], np.r_[ones, zeros]]))     # [2,2P]: Xi*[Wr;Wi] -> [-XiWi; XiWr]
    Y = g.add(g.mm(sum_r, g.reshape(g.mul(nXr, W3), [2 * PT, K])),
              g.mm(sum_i, g.reshape(g.mul(nXi, W3), [2 * PT, K])))          # [Yr; Yi]
    # overlap-save: the last R samples of the circular convolution are the linear ones
    yhat = g.mm(g.reshape(g.mul(Y, sgn), [1, 2 * K]), ICS)                  # [1,R]
    e = g.sub(mic, yhat)
    # One product for the DFTs that need e: the error's DFT E (of [0, e]) and the suppressor's STFTs
    # of the sqrt-Hann-windowed frames [eprev e] and [yprev yhat] (windowed in time, not in the matrix)
    win_a, win_b = f32(win[:R])[None, :], f32(win[R:])[None, :]
    ey = g.concat(e, yhat)                                              # [2,R]
    rows = g.concat(g.mul(eyprev, g.const(win_a)), g.mul(ey, g.const(win_b)), e)  # [5,R]
    Z_a, Z_b = g.split(g.mm(rows, CS), [2, 3])
    EY_b, E = g.split(g.mul(Z_b, sgn2), [2, 1])
    EY = g.add(Z_a, EY_b)                                               # [2,2K]: rows e, y; re | im
    # [Er; Ei] and the swapped copy conj(X) E needs, [Ei; -Er]
    # (times M/R = 2, exact: it meets the gain halved, see below)
    Er_i = g.reshape(E, [2, K])
    E2, E2s = g.split(g.reshape(g.mm(g.const(f32(np.array([[1, 0], [0, 1], [0, 1], [-1, 0]]) * M / R)), Er_i), [4, 1, K]), [2, 2])

    X2 = g.add(g.sq(nXr), g.sq(nXi))                                    # |X|^2, [PT,K]
    # observation noise = error power minus what the filter's own uncertainty explains (R/M of it
    # lands in the R error samples): near-end speech + noise, not unconverged echo. So the step is
    # large while only echo is there (fast convergence) and small in double talk (robust filter).
    PX = g.mul(Psi, X2)
    XPsi = g.mm(g.const(f32(ones[None, :])), PX)                        # sum_p Psi |X|^2, [1,K]
    obs = g.maxi(g.sub(g.op("ReduceSumSquare", Er_i, axes=[0], keepdims=1), g.scale(XPsi, R / M)), g.f(c["phis_floor"]))
    nPhiS = g.smooth(PhiS, obs, c["beta"])
    D = g.add(XPsi, g.add(nPhiS, g.f(1e-10)))                           # [1,K]
    # gain = mu Psi / D, kept as gain (R/M): the covariance update wants that share (below), and
    # E above carries the M/R back for the filter update (powers of two: the same numbers)
    gain = g.div(g.scale(Psi, c["mu"]), g.scale(D, M / R))              # [PT,K]
    # W += gain * conj(X) * E
    XE = g.add(g.mul(nXr, E2), g.mul(nXi, E2s))                         # [2,PT,K]
    uW = g.reshape(g.add(W3, g.mul(gain, XE)), [2 * PT, K])
    # the gradient constraint (below) waits for the suppressor: its IDFT shares the output's product
    # (the filter itself is not shrunk by A: a leak of W biases it low; only its uncertainty grows)

    # ---- stage 2: residual echo + noise suppressor -------------------------------------------
    # the spectra of this hop as one [4,K] stack, in the state's order: [Re(E conj Y), Im(E conj Y),
    # |E|^2, |Y|^2]. All 16 products of (eR, eI, yR, yI) per bin (one broadcast Mul), then one small
    # matrix adds up the right pairs (coefficients +-1: the same two-term sums as written out)
    pick = np.zeros((4, 16))
    # (sign, i, j) of z_i z_j, z = (eR, eI, yR, yI)
    for row, terms in enumerate([[(1, 0, 2), (1, 1, 3)], [(1, 1, 2), (-1, 0, 3)], [(1, 0, 0), (1, 1, 1)],
                                 [(1, 2, 2), (1, 3, 3)]]):
        for sgn, i, j in terms:
            pick[row, 4 * i + j] = sgn
    spec4 = g.mm(g.const(f32(pick)), g.reshape(g.mul(g.reshape(EY, [4, 1, K]), g.reshape(EY, [1, 4, K])), [16, K]))
    _, See, Syy = g.split(spec4, [2, 1, 1])
    lam = c["lam"]
    nS4 = g.smooth(S4, spec4, lam)                                       # [nSey_r, nSey_i, nSee, nSyy]
    nSey, nSee, nSyy = g.split(nS4, [2, 1, 1])
    eps = g.f(1e-10)
    Rcoh = g.div(g.op("ReduceSumSquare", nSey, axes=[0], keepdims=1), g.add(nSyy, eps))  # |S_ey|^2 / S_yy
    # echo the linear filter cannot model (loudspeaker distortion): SpeexDSP's idea of a leak factor
    # from the correlation of power *fluctuations* of error and echo estimate — the customer's speech
    # does not fluctuate with the echo, so double talk does not inflate it.
    # Eh = See - nSee and Yh = Syy - nSyy are the last two rows of spec4 - nS4; [sum Eh Yh, sum Yh^2]
    # smooth the [Pey; Pyy] rows together
    _, EhYh = g.split(g.sub(spec4, nS4), [2, 2])
    _, Yh = g.split(EhYh, [1, 1])
    nP2 = g.smooth(P2, g.sum_axis(g.mul(EhYh, Yh), 1, keep=1), c["leak_smooth"])  # [nPey; nPyy]
    nPey, nPyy = g.split(nP2, [1, 1])
    leak = g.op("Clip", g.div(nPey, g.add(nPyy, eps)), g.f(c["leak_min"]), g.f(c["leak_max"]))
    Rbase = g.maxi(g.add(Rcoh, g.mul(Syy, leak)), g.scale(Rprev, c["decay"]))
    # The double-talk detector's residual estimate: the same, with a leak floor of -35 dB instead
    # of -23 dB. The -23 dB floor keeps the suppressor safe in single talk, but where the linear
    # filter cancels 30+ dB it puts the residual estimate within ~5 dB of a customer who talks 12-15
    # dB under the agent's echo: the flag never rose, the suppressor took the customer for echo
    # and the barge-in went unheard. Alone, the low floor also flags residual bursts of distorted
    # rooms (ERLE fell 1-2 dB); the flag therefore needs both (see dt_now).
    # (off by default: it halved the misses but added false starts; see "Tuning history")
    Rdt = Rbase
    if c["leak_min_dt"]:
        Rprev_dt, farc = dt_rows
        leak_dt = g.op("Clip", g.div(nPey, g.add(nPyy, eps)), g.f(c["leak_min_dt"]), g.f(c["leak_max"]))
        Rdt = g.maxi(g.add(Rcoh, g.mul(Syy, leak_dt)), g.scale(Rprev_dt, c["decay"]))
    # noise floor: minimum tracking of what is not echo
    # (only where echo does not dominate: under echo the floor holds, else it would collapse to 0)
    cand = g.maxi(g.sub(nSee, Rbase), g.f(1e-12))
    nN = g.where(g.gt(g.scale(nSee, 0.5), Rbase), g.mini(cand, g.scale(Nn, c["noise_rise"])), Nn)
    # double talk: error energy well above residual echo + noise, while the far end plays
    RN = g.add(Rbase, nN)                                               # residual echo + noise (also a feature)
    near = g.sumall(g.maxi(g.sub(See, g.add(Rdt, nN) if c["leak_min_dt"] else RN), g.f(0.0)))
    far = g.gt(g.sumall(Syy), g.f(c["far_thr"]))
    dt_now = g.op("And", far, g.gt(near, g.add(g.scale(g.sumall(Rdt), c["dt_ratio"]), g.f(1e-7))))
    if c["leak_min_dt"]:
        dt_now = g.op("And", dt_now, g.gt(near, g.scale(g.sumall(Rbase), c["dt_ratio_floor"])))
    # At the start of an agent utterance the coherent part of that estimate has no history yet (its
    # smoothing starts from the silence before), so the first hops of echo would raise the flag:
    # it waits for dt_far_hops of far-end audio in a row.
    if c["leak_min_dt"]:
        nfarc = g.where(far, g.mini(g.add(farc, g.f(1.0)), g.f(1000.0)), g.f(0.0))
        dt_now = g.op("And", dt_now, g.gt(nfarc, g.f(c["dt_far_hops"] - 0.5)))
    ndtc = g.where(dt_now, g.f(float(c["dt_hang"])), g.maxi(g.sub(dtc, g.f(1.0)), g.f(0.0)))
    dt = g.gt(ndtc, g.f(0.0))
    over = g.where(dt, g.f(c["over_dt"]), g.f(c["over_st"]))
    Rres = g.mul(Rbase, over)                                            # [1,K]
    # the suppressor's double talk: the energy flag, or the near-end detector (see ne_dt); the
    # reported figures stay the energy flag's (the pipeline's decision inputs keep their meaning)
    Rsup = Rres
    if ne_in:
        dt_sup = g.op("Or", dt, g.op("GreaterOrEqual", ne[0], g.f(c["ne_dt"])))
        Rsup = g.mul(Rbase, g.where(dt_sup, g.f(c["over_dt"]), g.f(c["over_st"])))
    interf = g.add(g.add(Rsup, nN), eps)
    post = g.div(See, interf)
    xi = g.add(g.scale(g.div(GS, interf), c["alpha_dd"]),
               g.scale(g.maxi(g.sub(post, g.f(1.0)), g.f(0.0)), 1 - c["alpha_dd"]))
    gw = g.div(xi, g.add(xi, g.f(1.0)))
    # floors: deep where echo dominates, but never below a steady background at gmin_noise x the
    # noise (comfort noise): a background that pumps with the echo would make the VAD see speech in
    # every pause of the agent
    gmin = g.op("Clip", g.scale(g.sqrt(g.div(nN, g.add(See, eps))), c["gmin_noise"]), g.f(c["gmin_echo"]), g.f(1.0))
    gain2 = g.maxi(gw, gmin)
    nGS = g.mul(g.sq(gain2), See)
    # output: IDFT of the gained error spectrum, sqrt-Hann windowed, overlap-added; its two halves
    # ride in the constraint's IDFT product (the second half with the sign trick). Both rows of EY
    # are gained (cheaper than cutting out the error's row); the echo estimate's rows are not used.
    GEY = g.mul(EY, g.concat(gain2, gain2, axis=1))                    # [2,2K]
    # gradient constraint on NC partitions: impulse response beyond R taps is circular garbage
    # (IDFT to the first R taps, then DFT: two [.,R] products, half the work of the [2K,2K] projection)
    sel = g.reshape(g.op("GatherND", uW, cidx), [NC, 2 * K])                # [NC, re|im]
    taps, yt_a, _, yt_b, _ = g.split(g.mm(g.concat(sel, GEY, g.mul(GEY, sgn2)), ICS), [NC, 1, 1, 1, 1])  # [NC,R], [1,R] ..
    proj = g.mm(taps, CS)                                               # [NC,2K]
    uW = g.op("ScatterND", uW, cidx, g.reshape(proj, [NC, 2, K]))           # [2P,K]: Wr rows, Wi rows
    out = g.add(olap, g.mul(yt_a, g.const(win_a)))
    nolap = g.mul(yt_b, g.const(win_b))
    # covariance update, then the prediction step for the next hop:
    # Psi (1 - mu (R/M) Psi |X|^2 / D) = Psi - gain (R/M) PX
    uPsi = g.sub(Psi, g.mul(gain, PX))
    uPsi = g.add(uPsi, g.add(g.scale(g.add(*g.split(g.sq(uW), [PT, PT])), 1 - c["a2"]), g.f(c["q0"])))
    # per-hop figures for the pipeline: [sum mic^2, sum e^2, sum echo-estimate^2, sum residual echo PSD
    # (times the over-estimation in force; the double-talk detector's own one when it is on), sum noise PSD,
    # double talk]
    info = g.concat(
        g.op("ReduceSumSquare", g.concat(mic, ey), axes=[1], keepdims=0),
        g.op("ReduceSum", g.concat(g.mul(Rdt, over) if c["leak_min_dt"] else Rres, nN), g.const(np.array([1], np.int64)), keepdims=0),
        g.op("ReduceMax", g.cast_f(dt), axes=[1], keepdims=0))

    # Per-band figures for the near-end detector (models/gen/ned.py): log10 ratios, over NB bands, of
    # the error (linear filter output) to its residual echo + noise, to the echo estimate, to the
    # noise; of the echo estimate to the noise. Ratios only, so the detector never learns a level
    # (a microphone's gain differs from a corpus's).
    # (Not the suppressor's output: it depends on the detector's own answer through ne_dt.)
    bands = g.op("Log", g.add(g.mm(g.concat(See, RN, Syy, nN), g.const(f32(band_matrix()))),
                              g.f(1e-10)))                              # [4,NB], natural log
    # the four ratios as one product: rows [E-RN, E-Y, E-N, Y-N] of the log bands, in log10
    ratios = np.array([[1, -1, 0, 0], [1, 0, -1, 0], [1, 0, 0, -1], [0, 0, 1, -1]]) / np.log(10)
    feat = g.op("Clip", g.mm(g.const(f32(ratios)), bands), g.f(-4.0), g.f(6.0))
    g.output(out, "out", [1, R])
    g.output(info, "info", [6])
    g.output(feat, "feat", [4, NB])
    # blocks of rows updated together are listed under their first part; the others are in them
    news = dict(Ah=A, Xr=nXr, Xi=nXi, Wr=uW, Psi=uPsi, PhiS=nPhiS,
                Sey_r=nS4, Rprev=Rbase, N=nN, GS=nGS, dtc=ndtc, Pey=nP2,
                **({"Rprev_dt": Rdt, "farc": nfarc} if c["leak_min_dt"] else {}))
    in_block = {"Wi", "Sey_i", "See_s", "Syy_s", "Pyy"}
    if NL:
        time_rows = g.concat(g.op("Pad", g.concat(ey, nolap), g.const(np.array([0, 0, 0, K - R], np.int64))),
                             g.op("Pad", nhp, g.const(np.array([0, 0, 0, K - 2], np.int64))))  # [e; yhat; olap; hp]
    else:
        time_rows = g.op("Pad", g.concat(ey, nolap), g.const(np.array([0, 0, 0, K - R], np.int64)))  # [e; yhat; olap], [3,K]
    g.output(g.concat(*[news[n] for n, _ in spec if n not in in_block], time_rows), "n_spec", [sum(n for _, n in spec + time), K])
    init = {name: 0.0 for name, _ in spec + time}
    # prior on the echo path: full uncertainty over the first psi_flat partitions (bulk delay + direct
    # path + early reflections), then decaying like a room's tail; one value per partition (row)
    init["Psi"] = [round(float(c["psi0"] * (1.0 if ch == 0 else c["nl_psi"]) *
                             10 ** (-max(0, p - c["psi_flat"]) * c["psi_decay_db"] / 10)), 9)
                   for ch, n in enumerate(chans) for p in range(n)]
    init["N"] = 1.0  # high: the minimum tracker falls to the real floor at once
    # partitions: the echo path the reference's channel covers (its rows come first in Wr, Wi);
    # filterPartitions: all channels' (the caller's round-robin of the constraint runs over these)
    meta = dict(rate=16000, hop=R, dft=M, bins=K, partitions=P, **({"filterPartitions": PT} if NL else {}),
                constrainPerHop=NC, config=c,
                state=[dict(name="spec", shape=[sum(n for _, n in spec + time), K],
                            parts=[dict(name=n, rows=r, init=init[n]) for n, r in spec + time])],
                frame=2 * R + ne_in, outputs=dict(out=[1, R], feat=[4, NB], info=["mic_energy", "error_energy", "echo_est_energy", "residual_echo_psd",
                                                "noise_psd", "double_talk"]))
    return g.model("voiceterm echo canceller: partitioned-block frequency-domain Kalman filter + residual "
                   "echo/noise suppressor; generated by models/gen/aec.py"), meta


if __name__ == "__main__":
    # AEC_CFG='{"leak": 0.05}' overrides constants for experiments (write those to another directory)
    CFG.update(json.loads(os.environ.get("AEC_CFG") or "{}"))
    out_dir = sys.argv[1] if len(sys.argv) > 1 else os.path.join(os.path.dirname(__file__), "..")
    model, meta = build()
    write_model(out_dir, "aec", model, meta, "models/gen/aec.py")
    print(f"aec.onnx: {len(model.graph.node)} nodes, P={P} partitions" + (f" + {CFG['nl_channels']} x {CFG['nl_partitions']} nonlinear" if CFG["nl_channels"] else ""))
