// Boxes and polygons in image pixels: clamping, hit tests, and SPEC 3 rules 5 and 6.

export const round2 = (v) => Math.round(v * 100) / 100;
const clamp = (v, lo, hi) => Math.min(hi, Math.max(lo, v));

// A box from two corners, clamped to the image; null when it has no area left.
export function boxFromCorners(x1, y1, x2, y2, W, H) {
  const l = round2(clamp(Math.min(x1, x2), 0, W));
  const t = round2(clamp(Math.min(y1, y2), 0, H));
  const r = round2(clamp(Math.max(x1, x2), 0, W));
  const b = round2(clamp(Math.max(y1, y2), 0, H));
  return fitBox({ x: l, y: t, width: round2(r - l), height: round2(b - t) }, W, H);
}

// Keep x + width <= W exactly, despite binary fractions.
export function fitBox(box, W, H) {
  let { x, y, width, height } = box;
  x = round2(clamp(x, 0, W)); y = round2(clamp(y, 0, H));
  width = round2(Math.min(width, W - x)); height = round2(Math.min(height, H - y));
  while (x + width > W) width = round2(width - 0.01);
  while (y + height > H) height = round2(height - 0.01);
  if (!(width > 0 && height > 0)) return null;
  return { x, y, width, height };
}

// Move a box by (dx, dy), keeping its size and keeping it inside the image.
export function moveBox(box, dx, dy, W, H) {
  const x = clamp(box.x + dx, 0, Math.max(0, W - box.width));
  const y = clamp(box.y + dy, 0, Math.max(0, H - box.height));
  return fitBox({ x, y, width: box.width, height: box.height }, W, H);
}

export function movePolygon(points, dx, dy, W, H) {
  const xs = points.map((p) => p[0]); const ys = points.map((p) => p[1]);
  dx = clamp(dx, -Math.min(...xs), W - Math.max(...xs));
  dy = clamp(dy, -Math.min(...ys), H - Math.max(...ys));
  return points.map(([x, y]) => [round2(clamp(x + dx, 0, W)), round2(clamp(y + dy, 0, H))]);
}

export function clampPoint(x, y, W, H) { return [round2(clamp(x, 0, W)), round2(clamp(y, 0, H))]; }

export function boxContains(b, x, y) { return x >= b.x && x <= b.x + b.width && y >= b.y && y <= b.y + b.height; }

export function polygonContains(pts, x, y) {
  let inside = false;
  for (let i = 0, j = pts.length - 1; i < pts.length; j = i++) {
    const [xi, yi] = pts[i]; const [xj, yj] = pts[j];
    if ((yi > y) !== (yj > y) && x < ((xj - xi) * (y - yi)) / (yj - yi) + xi) inside = !inside;
  }
  return inside;
}

export function distToSegment(px, py, [ax, ay], [bx, by]) {
  const dx = bx - ax; const dy = by - ay;
  const len = dx * dx + dy * dy;
  let t = len ? ((px - ax) * dx + (py - ay) * dy) / len : 0;
  t = clamp(t, 0, 1);
  return Math.hypot(px - (ax + t * dx), py - (ay + t * dy));
}

export function polygonArea(pts) {
  let a = 0;
  for (let i = 0; i < pts.length; i++) {
    const [x1, y1] = pts[i]; const [x2, y2] = pts[(i + 1) % pts.length];
    a += x1 * y2 - x2 * y1;
  }
  return a / 2;
}

function orient(a, b, c) { return Math.sign((b[0] - a[0]) * (c[1] - a[1]) - (b[1] - a[1]) * (c[0] - a[0])); }
function onSegment(a, b, c) {
  return Math.min(a[0], b[0]) <= c[0] && c[0] <= Math.max(a[0], b[0]) && Math.min(a[1], b[1]) <= c[1] && c[1] <= Math.max(a[1], b[1]);
}
function segmentsCross(p1, p2, p3, p4) {
  const d1 = orient(p3, p4, p1); const d2 = orient(p3, p4, p2);
  const d3 = orient(p1, p2, p3); const d4 = orient(p1, p2, p4);
  if (d1 !== d2 && d3 !== d4 && d1 !== 0 && d2 !== 0 && d3 !== 0 && d4 !== 0) return true;
  if (d1 === 0 && onSegment(p3, p4, p1)) return true;
  if (d2 === 0 && onSegment(p3, p4, p2)) return true;
  if (d3 === 0 && onSegment(p1, p2, p3)) return true;
  if (d4 === 0 && onSegment(p1, p2, p4)) return true;
  return false;
}

// The reason a polygon would be refused (SPEC 3 rule 6), or null when it is fine.
export function polygonProblem(pts, W, H) {
  if (pts.length < 3) return `a polygon needs at least 3 points; it has ${pts.length}`;
  if (pts.length > 10000) return `a polygon has at most 10,000 points; it has ${pts.length}`;
  for (let i = 0; i < pts.length; i++) {
    const [x, y] = pts[i];
    if (!Number.isFinite(x) || !Number.isFinite(y)) return `point ${i + 1} is not a number`;
    if (x < 0 || y < 0 || x > W || y > H) return `point ${i + 1} (${x}, ${y}) is outside the image (${W} x ${H})`;
    const [nx, ny] = pts[(i + 1) % pts.length];
    if (x === nx && y === ny) {
      return i === pts.length - 1 ? 'the last point repeats the first (a polygon closes itself)'
        : `points ${i + 1} and ${i + 2} are the same`;
    }
  }
  const n = pts.length;
  for (let i = 0; i < n; i++) {
    const a = pts[i]; const b = pts[(i + 1) % n];
    for (let j = i + 1; j < n; j++) {
      if (j === i + 1 || (i === 0 && j === n - 1)) continue; // neighbours share a point
      if (segmentsCross(a, b, pts[j], pts[(j + 1) % n])) return `its edges cross (edge ${i + 1} and edge ${j + 1})`;
    }
  }
  if (Math.abs(polygonArea(pts)) < 1e-9) return 'the polygon has no area (all its points are on one line)';
  return null;
}
