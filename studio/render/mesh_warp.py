"""Mesh-vertex displacements -> one dense backward map per frame, cheap enough for real time.

Warping triangle by triangle costs tens of milliseconds; one cv2.remap of the frame costs about
one. So the triangulation is rasterised once per portrait, as a sparse matrix of barycentric
weights from the vertices to a coarse grid of the output. Per frame: one sparse product gives
the forward displacement on the grid, a few fixed-point steps q <- p - d(q) invert it there (the
field is smooth and mostly contracting, so three or four steps suffice), and the small backward
field is upsampled over the region that moves.

A turned head folds the map: the far cheek slides behind the nose and the face's outline, so
several grid cells land on one output node and the fixed-point steps would settle on any of
them (a squeezed or torn cheek). When the forward map folds, the grid's cells are instead
rasterised as triangles at their posed positions with a depth test, so each output node takes
the nearest surface: the far side is hidden, as on a real head. Per-node depth comes through
the same weights as the displacement.
"""

from __future__ import annotations

import numpy as np

# Fixed-point steps of the inversion; the first one is free (d at the grid point itself).
INVERT_STEPS = 4
# Grid displacements below this many pixels count as still: that part of the frame is copied.
STILL = 0.02
# Output nodes (grid cells) around the folds' posed extent that are depth-tested too, and the
# widest span (in cells) a posed cell is rasterised over: cells stretched wider are left to the
# fixed-point inversion.
FOLD_MARGIN, MAX_SPAN = 2, 4
# Still grid nodes kept around the movable block, so the map fades to identity inside it.
BLOCK_MARGIN = 3


class DenseWarp:
    """The portrait's triangulated mesh rasterised to a coarse grid of the output frame.

    Only the block of the grid that any movable vertex can reach is kept: the rest of the frame
    never moves, so per-frame work scales with the head, not the picture.
    """

    def __init__(self, points: np.ndarray, movable: np.ndarray, width: int, height: int, cell: int):
        import cv2
        from scipy.sparse import csr_matrix
        from scipy.spatial import Delaunay

        self.width, self.height, self.cell = width, height, cell
        grid_w, grid_h = -(-width // cell), -(-height // cell)
        # Grid nodes sit where cv2.resize puts the source pixels of an integer upscale, so the
        # per-frame upsampling is exact bilinear interpolation between nodes.
        gx = (np.arange(grid_w) + 0.5) * cell - 0.5
        gy = (np.arange(grid_h) + 0.5) * cell - 0.5
        nodes = np.stack(np.meshgrid(gx, gy), axis=-1).reshape(-1, 2)

        tri = Delaunay(np.asarray(points, dtype=np.float64))
        simplex = tri.find_simplex(nodes)
        if (simplex < 0).any():
            raise ValueError("the mesh must cover the whole output frame")
        corners = tri.simplices[simplex]

        # 1. the block of nodes that can move, with a margin of still nodes around it
        active = np.asarray(movable, dtype=bool)[corners].any(axis=1).reshape(grid_h, grid_w)
        rows, cols = np.flatnonzero(active.any(axis=1)), np.flatnonzero(active.any(axis=0))
        if rows.size == 0:
            rows, cols = np.array([0]), np.array([0])
        self.r0, self.r1 = max(rows[0] - BLOCK_MARGIN, 0), min(rows[-1] + 1 + BLOCK_MARGIN, grid_h)
        self.c0, self.c1 = max(cols[0] - BLOCK_MARGIN, 0), min(cols[-1] + 1 + BLOCK_MARGIN, grid_w)
        block = np.zeros((grid_h, grid_w), dtype=bool)
        block[self.r0:self.r1, self.c0:self.c1] = True
        keep = block.ravel()

        # 2. barycentric weights from vertices to the block's nodes
        transform = tri.transform[simplex[keep]]
        b = np.einsum("gij,gj->gi", transform[:, :2], nodes[keep] - transform[:, 2])
        bary = np.column_stack([b, 1.0 - b.sum(axis=1)])
        count = int(keep.sum())
        self.weights = csr_matrix(
            (bary.ravel().astype(np.float32), (np.repeat(np.arange(count), 3), corners[keep].ravel())),
            shape=(count, len(points)),
        )
        self.block_shape = (self.r1 - self.r0, self.c1 - self.c0)
        self._node_index = np.stack(
            np.meshgrid(np.arange(self.block_shape[1], dtype=np.float32),
                        np.arange(self.block_shape[0], dtype=np.float32)),
            axis=-1,
        )
        y0, x0 = self.r0 * cell, self.c0 * cell
        y1, x1 = min(self.r1 * cell, height), min(self.c1 * cell, width)
        self.region = (slice(y0, y1), slice(x0, x1))
        ident_x, ident_y = np.meshgrid(np.arange(x0, x1, dtype=np.float32), np.arange(y0, y1, dtype=np.float32))
        self._ident_x, self._ident_y = ident_x, ident_y
        self._cv2 = cv2

    def forward(self, displacement: np.ndarray) -> np.ndarray:
        """Forward displacement (pixels) at the block's grid nodes, block_h x block_w x 2."""
        d = self.weights @ np.asarray(displacement, dtype=np.float32)
        return d.reshape(*self.block_shape, 2)

    def backward_map(self, displacement: np.ndarray, depth: np.ndarray | None = None
                     ) -> tuple[tuple[slice, slice], np.ndarray, np.ndarray] | None:
        """(region, map_x, map_y) for cv2.remap over the movable block, or None if nothing moves.

        map_x/map_y give, for each output pixel of the region, where to sample the rest-pose
        picture. depth (N, posed z of each vertex, smaller is nearer) decides which surface shows
        where the map folds; without it folds are left to the fixed-point inversion.
        """
        cv2 = self._cv2
        forward = self.forward(displacement)
        if max(forward.max(), -forward.min()) <= STILL:
            return None
        # 1. invert on the grid: the backward displacement b(q) = -d(q + b(q)) where the map is
        # one to one, the nearest surface where it folds; outside the block nothing moves
        back = -forward
        for _ in range(INVERT_STEPS - 1):
            where = self._node_index + back * (1.0 / self.cell)
            back = cv2.remap(forward, where[..., 0], where[..., 1], cv2.INTER_LINEAR,
                             borderMode=cv2.BORDER_CONSTANT, borderValue=0)
            np.negative(back, out=back)
        if depth is not None:
            self._resolve_folds(forward, depth, back)
        # 2. upsample; integer scale keeps the block's nodes on the global grid
        up = cv2.resize(back, (self.block_shape[1] * self.cell, self.block_shape[0] * self.cell),
                        interpolation=cv2.INTER_LINEAR)
        height, width = self._ident_x.shape
        map_x = self._ident_x + up[:height, :width, 0]
        map_y = self._ident_y + up[:height, :width, 1]
        return self.region, map_x, map_y

    def _resolve_folds(self, forward: np.ndarray, depth: np.ndarray, back: np.ndarray) -> None:
        """Where the posed cells fold, overwrite `back` (the fixed-point inversion) with the
        nearest surface, by depth-tested rasterisation of the cells around the folds.

        Outside the folds' posed bounding box every output node has one preimage, which the
        fixed-point steps find; only the box needs the depth test, and only cells that can
        reach it are rasterised, so the cost follows the fold, not the frame.
        """
        # 1. posed node positions (grid units); each cell's two triangles' signed areas (both
        # positive at rest): a fold flips some
        bh, bw = self.block_shape
        posed = self._node_index + forward * (1.0 / self.cell)
        across, down = posed[:, 1:] - posed[:, :-1], posed[1:] - posed[:-1]
        first = across[:-1, :, 0] * down[:, :-1, 1] - across[:-1, :, 1] * down[:, :-1, 0]
        second = across[1:, :, 0] * down[:, 1:, 1] - across[1:, :, 1] * down[:, 1:, 0]
        rows, cols = np.nonzero((first < 0) | (second < 0))
        if rows.size == 0:
            return
        # 2. the output box to depth-test, and the rest cells that can land in it
        fold = posed[rows.min():rows.max() + 2, cols.min():cols.max() + 2].reshape(-1, 2)
        box_lo = np.maximum(np.floor(fold.min(axis=0)) - FOLD_MARGIN, 0)
        box_hi = np.minimum(np.ceil(fold.max(axis=0)) + FOLD_MARGIN, [bw - 1, bh - 1])
        reach = int(np.ceil(np.abs(forward).max() / self.cell)) + 1
        r0, r1 = max(int(box_lo[1]) - reach, 0), min(int(box_hi[1]) + reach + 1, bh)
        c0, c1 = max(int(box_lo[0]) - reach, 0), min(int(box_hi[0]) + reach + 1, bw)
        node = (np.arange(r0, r1)[:, None] * bw + np.arange(c0, c1)[None, :])
        tl, tr, bl, br = node[:-1, :-1].ravel(), node[:-1, 1:].ravel(), node[1:, :-1].ravel(), node[1:, 1:].ravel()
        ia, ib, ic = np.concatenate([tl, br]), np.concatenate([tr, bl]), np.concatenate([bl, tr])
        flat_posed = posed.reshape(-1, 2)
        pa, pb, pc = flat_posed[ia], flat_posed[ib], flat_posed[ic]
        e1, e2 = pb - pa, pc - pa
        area = e1[:, 0] * e2[:, 1] - e1[:, 1] * e2[:, 0]
        # 3. every output node of the box inside each posed triangle's bounding box: candidates
        lo = np.maximum(np.ceil(np.minimum(np.minimum(pa, pb), pc)), box_lo).astype(np.int32)
        hi = np.minimum(np.floor(np.maximum(np.maximum(pa, pb), pc)), box_hi).astype(np.int32)
        count = np.clip(hi - lo + 1, 0, MAX_SPAN)
        n = count[:, 0] * count[:, 1]
        # back faces (cells the fold turned over) are the surface turning away: never drawn
        n[area < 1e-6] = 0
        tri = np.repeat(np.arange(len(n)), n)
        k = np.arange(len(tri)) - np.repeat(np.cumsum(n) - n, n)
        width = count[tri, 0]
        qx = (lo[tri, 0] + k % width).astype(np.float32)
        qy = (lo[tri, 1] + k // width).astype(np.float32)
        # 4. barycentric coordinates; keep the candidates inside their triangle
        vx, vy = qx - pa[tri, 0], qy - pa[tri, 1]
        inv = 1.0 / area[tri]
        l1 = (vx * e2[tri, 1] - vy * e2[tri, 0]) * inv
        l2 = (e1[tri, 0] * vy - e1[tri, 1] * vx) * inv
        l0 = 1.0 - l1 - l2
        inside = (l0 >= -1e-4) & (l1 >= -1e-4) & (l2 >= -1e-4)
        tri, l0, l1, l2, qx, qy = tri[inside], l0[inside], l1[inside], l2[inside], qx[inside], qy[inside]
        a, b, c = ia[tri], ib[tri], ic[tri]
        z = (self.weights @ np.asarray(depth, dtype=np.float32)).ravel()
        cz = l0 * z[a] + l1 * z[b] + l2 * z[c]
        rest = self._node_index.reshape(-1, 2)
        sx = l0 * rest[a, 0] + l1 * rest[b, 0] + l2 * rest[c, 0]
        sy = l0 * rest[a, 1] + l1 * rest[b, 1] + l2 * rest[c, 1]
        # 5. depth test: each node takes its nearest candidate (the first of its node's after a
        # stable sort by depth; numpy leaves the winner of repeated assignments unspecified)
        order = np.argsort(cz, kind="stable")
        target = (qy * bw + qx).astype(np.int64)[order]
        target, first = np.unique(target, return_index=True)
        nearest = order[first]
        flat = back.reshape(-1, 2)
        flat[target, 0] = (sx[nearest] - qx[nearest]) * self.cell
        flat[target, 1] = (sy[nearest] - qy[nearest]) * self.cell
