#!/usr/bin/env python3
"""Fits the coefficients of the kernels' tanh (src/kernels/simd.h): tanh(x) = x P(x^2) / Q(x^2) on
[0, 9], P of degree 5 and Q of degree 3 in x^2 (Q(0) = 1), minimising the largest relative error.

Method: Loeb's linearisation (P - g Q, divided by the previous iteration's g Q, is linear in the
coefficients) solved by weighted least squares, with Lawson's reweighting (each point's weight
times its error) pulling the fit towards equal ripples. Runs a few minutes; needs python3-mpmath
(Debian). Dev tool only: the build and the tests do not run it.

usage: scripts/fit-tanh.py [P degree] [Q degree] [clamp]      (defaults 5 3 9)
"""
import sys

import mpmath as mp

mp.mp.dps = 30
p_degree, q_degree, clamp = (int(sys.argv[1]) if len(sys.argv) > 1 else 5,
                             int(sys.argv[2]) if len(sys.argv) > 2 else 3,
                             mp.mpf(sys.argv[3]) if len(sys.argv) > 3 else mp.mpf(9))
points = 600
# Chebyshev points of [0, clamp]: denser at the ends, where the ripples crowd.
xs = [clamp * (1 - mp.cos(mp.pi * (k + mp.mpf(0.5)) / points)) / 2 for k in range(points)]
ts = [x * x for x in xs]
g = [mp.tanh(x) / x for x in xs]  # tanh(x) / x as a function of t = x^2
weight = [mp.mpf(1) / points] * points
q_previous = [mp.mpf(1)] * points
best = None
for iteration in range(200):
    a = mp.matrix(points, p_degree + 1 + q_degree)
    b = mp.matrix(points, 1)
    for i in range(points):
        scale = mp.sqrt(weight[i]) / (g[i] * q_previous[i])
        for j in range(p_degree + 1):
            a[i, j] = scale * ts[i] ** j
        for j in range(1, q_degree + 1):
            a[i, p_degree + j] = -scale * g[i] * ts[i] ** j
        b[i] = scale * g[i]
    solution, _ = mp.qr_solve(a, b)
    p = [solution[j] for j in range(p_degree + 1)]
    q = [mp.mpf(1)] + [solution[p_degree + j] for j in range(1, q_degree + 1)]
    q_values = [mp.polyval(q[::-1], t) for t in ts]
    errors = [mp.polyval(p[::-1], t) / q_values[i] / g[i] - 1 for i, t in enumerate(ts)]
    largest = max(abs(e) for e in errors)
    if best is None or largest < best[0]:
        best = (largest, p, q)
    q_previous = q_values
    total = sum(weight[i] * abs(errors[i]) for i in range(points))
    weight = [weight[i] * abs(errors[i]) / total for i in range(points)]

largest, p, q = best
fine = [clamp * mp.mpf(k) / 20000 for k in range(1, 20001)]
checked = max(abs(mp.polyval(p[::-1], x * x) / mp.polyval(q[::-1], x * x) / (mp.tanh(x) / x) - 1) for x in fine)
print(f'// P degree {p_degree}, Q degree {q_degree}, |x| <= {clamp}: largest relative error '
      f'{mp.nstr(largest, 3)} on the fit points, {mp.nstr(checked, 3)} on 20000 points')
print('P (t^0 first):', ', '.join(mp.nstr(c, 17) for c in p))
print('Q (t^0 first):', ', '.join(mp.nstr(c, 17) for c in q))
