#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Multinomial logistic regression (softmax) with an L2 penalty, on
/// standardized inputs: the prelabel classifier of SPEC section 7. It
/// minimizes the mean cross-entropy plus (l2 / 2) |W|^2 (the bias is not
/// penalized) by accelerated gradient descent with a step from the largest
/// eigenvalue of the inputs' second moment, so training needs no tuning and
/// gives the same model for the same data.
public struct SoftmaxModel: Sendable, Equatable {
    /// One row of weights per class, over the standardized inputs.
    public let weights: [[Double]]
    public let bias: [Double]
    public let standardizer: Standardizer

    public var classes: Int { bias.count }

    public init(weights: [[Double]], bias: [Double], standardizer: Standardizer) {
        self.weights = weights
        self.bias = bias
        self.standardizer = standardizer
    }

    /// `labels[i]` is the class (0..<classes) of row `x[i]`. `l2` nil: 1/n,
    /// which is scikit-learn's default (C = 1) for the same loss summed.
    public static func train(_ x: [[Double]], labels: [Int], classes: Int, l2: Double? = nil, iterations: Int = 300) -> SoftmaxModel {
        let standardizer = Standardizer(fitting: x)
        let rows = x.map(standardizer.apply)
        let n = rows.count, dims = rows.first?.count ?? 0
        let lambda = l2 ?? 1 / Double(max(n, 1))
        var w = [[Double]](repeating: [Double](repeating: 0, count: dims), count: classes)
        var b = [Double](repeating: 0, count: classes)
        guard n > 0, classes > 1 else { return SoftmaxModel(weights: w, bias: b, standardizer: standardizer) }
        // The loss's gradient is Lipschitz with constant at most 0.5 * (largest
        // eigenvalue of the mean of [x 1][x 1]^T) + lambda.
        let step = 1 / (0.5 * largestEigenvalue(rows) + lambda)
        var (previousW, previousB) = (w, b)
        for t in 1...iterations {
            // Nesterov's look-ahead point.
            let momentum = Double(t - 1) / Double(t + 2)
            var lookW = w, lookB = b
            for c in 0..<classes {
                for j in 0..<dims { lookW[c][j] += momentum * (w[c][j] - previousW[c][j]) }
                lookB[c] += momentum * (b[c] - previousB[c])
            }
            var gradW = lookW.map { $0.map { lambda * $0 } }
            var gradB = [Double](repeating: 0, count: classes)
            for (i, row) in rows.enumerated() {
                var p = scores(row, lookW, lookB)
                softmax(&p)
                p[labels[i]] -= 1
                for c in 0..<classes where p[c] != 0 {
                    let g = p[c] / Double(n)
                    gradB[c] += g
                    for j in 0..<dims { gradW[c][j] += g * row[j] }
                }
            }
            (previousW, previousB) = (w, b)
            for c in 0..<classes {
                for j in 0..<dims { w[c][j] = lookW[c][j] - step * gradW[c][j] }
                b[c] = lookB[c] - step * gradB[c]
            }
        }
        return SoftmaxModel(weights: w, bias: b, standardizer: standardizer)
    }

    /// The probability of each class for one (raw, not standardized) input.
    public func probabilities(_ x: [Double]) -> [Double] {
        var p = Self.scores(standardizer.apply(x), weights, bias)
        Self.softmax(&p)
        return p
    }

    /// The most likely class and its probability.
    public func predict(_ x: [Double]) -> (label: Int, confidence: Double) {
        let p = probabilities(x)
        let best = p.indices.max { p[$0] < p[$1] } ?? 0
        return (best, p.isEmpty ? 0 : p[best])
    }

    static func scores(_ row: [Double], _ w: [[Double]], _ b: [Double]) -> [Double] {
        b.indices.map { c in b[c] + Vectors.dot(w[c], row) }
    }

    static func softmax(_ z: inout [Double]) {
        let top = z.max() ?? 0
        var sum = 0.0
        for c in z.indices { z[c] = exp(z[c] - top); sum += z[c] }
        for c in z.indices { z[c] /= sum }
    }

    /// The largest eigenvalue of the mean of [x 1][x 1]^T, by power iteration
    /// (30 rounds: an estimate a little low at worst, so it is raised by 10%).
    static func largestEigenvalue(_ rows: [[Double]]) -> Double {
        let dims = (rows.first?.count ?? 0) + 1
        var v = [Double](repeating: 1 / Double(dims).squareRoot(), count: dims)
        var value = 1.0
        for _ in 0..<30 {
            var next = [Double](repeating: 0, count: dims)
            for row in rows {
                // dot runs over the row's features; v's last entry is the constant 1's.
                let projection = Vectors.dot(row, v) + v[dims - 1]
                for j in 0..<(dims - 1) { next[j] += projection * row[j] }
                next[dims - 1] += projection
            }
            for j in 0..<dims { next[j] /= Double(rows.count) }
            value = Vectors.dot(next, next).squareRoot()
            guard value > 0 else { return 1 }
            v = next.map { $0 / value }
        }
        return value * 1.1
    }
}
