import Foundation

/// A QR Code symbol (ISO/IEC 18004:2015), byte mode, error correction level M, versions 1–40, with the mask chosen
/// by the standard's penalty rules. Written in-house so printed place codes need no third-party code; decoding is
/// proven in the tests with zbar.
public struct QRCode: Sendable, Equatable {
    public enum Problem: Error, Sendable, Equatable {
        case tooLong(bytes: Int)
    }

    public let version: Int
    public let mask: Int
    /// Side length in modules (without the quiet zone).
    public let size: Int
    /// Row-major, `true` = dark.
    public let modules: [Bool]

    public subscript(x: Int, y: Int) -> Bool { modules[y * size + x] }

    // Error correction level M, indexed by version (index 0 unused). ISO/IEC 18004 Table 9.
    static let eccPerBlock = [0, 10, 16, 26, 18, 24, 16, 18, 22, 22, 26, 30, 22, 22, 24, 24, 28, 28, 26, 26, 26, 26, 28, 28, 28, 28,
                              28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28, 28]
    static let blocks = [0, 1, 1, 1, 2, 2, 4, 4, 4, 5, 5, 5, 8, 9, 9, 10, 10, 11, 13, 14, 16, 17, 17, 18, 20, 21, 23, 25, 26, 28, 29,
                         31, 33, 35, 37, 38, 40, 43, 45, 47, 49]
    /// Level M's two format-information bits (L = 01, M = 00, Q = 11, H = 10).
    static let levelBits = 0

    /// Modules available for data and error correction codewords (everything but function patterns).
    static func rawDataModules(_ version: Int) -> Int {
        var result = (16 * version + 128) * version + 64
        if version >= 2 {
            let align = version / 7 + 2
            result -= (25 * align - 10) * align - 55
            if version >= 7 { result -= 36 }
        }
        return result
    }

    static func dataCodewords(_ version: Int) -> Int {
        rawDataModules(version) / 8 - eccPerBlock[version] * blocks[version]
    }

    /// The smallest version whose capacity holds `byteCount` bytes in byte mode at level M.
    public static func version(forByteCount byteCount: Int) -> Int? {
        (1...40).first { v in 4 + (v < 10 ? 8 : 16) + 8 * byteCount <= dataCodewords(v) * 8 }
    }

    public static func encode(_ text: String) throws(Problem) -> QRCode {
        try encode(bytes: Array(text.utf8))
    }

    public static func encode(bytes: [UInt8], forceMask: Int? = nil) throws(Problem) -> QRCode {
        guard let version = version(forByteCount: bytes.count) else { throw .tooLong(bytes: bytes.count) }
        // Segment: mode 0100 (byte), character count, the bytes; terminator; pad to a byte; pad codewords.
        var bits = BitBuffer()
        bits.append(0b0100, count: 4)
        bits.append(bytes.count, count: version < 10 ? 8 : 16)
        for b in bytes { bits.append(Int(b), count: 8) }
        let capacity = dataCodewords(version) * 8
        bits.append(0, count: min(4, capacity - bits.count))
        bits.append(0, count: (8 - bits.count % 8) % 8)
        var data = bits.bytes
        var pad: UInt8 = 0xEC
        while data.count < capacity / 8 {
            data.append(pad)
            pad = pad == 0xEC ? 0x11 : 0xEC
        }
        let codewords = interleave(data, version: version)

        var grid = Grid(version: version)
        grid.drawFunctionPatterns()
        grid.place(codewords)
        var best: (mask: Int, penalty: Int, grid: Grid)?
        for mask in forceMask.map({ [$0] }) ?? Array(0..<8) {
            var candidate = grid
            candidate.apply(mask: mask)
            candidate.drawFormatBits(mask: mask)
            let penalty = candidate.penalty()
            if best == nil || penalty < best!.penalty { best = (mask, penalty, candidate) }
        }
        return QRCode(version: version, mask: best!.mask, size: grid.size, modules: best!.grid.dark)
    }

    /// Splits the data into blocks, adds Reed–Solomon error correction to each and interleaves them (ISO 18004 §7.6).
    static func interleave(_ data: [UInt8], version: Int) -> [UInt8] {
        let blockCount = blocks[version], ecc = eccPerBlock[version]
        let raw = rawDataModules(version) / 8
        let shortBlocks = blockCount - raw % blockCount
        let shortLength = raw / blockCount
        let divisor = ReedSolomon.divisor(degree: ecc)
        var dataBlocks: [[UInt8]] = [], eccBlocks: [[UInt8]] = []
        var k = 0
        for i in 0..<blockCount {
            let length = shortLength - ecc + (i < shortBlocks ? 0 : 1)
            let block = Array(data[k..<(k + length)])
            k += length
            dataBlocks.append(block)
            eccBlocks.append(ReedSolomon.remainder(block, divisor: divisor))
        }
        var out: [UInt8] = []
        out.reserveCapacity(raw)
        for i in 0..<(shortLength - ecc + 1) {
            for block in dataBlocks where i < block.count { out.append(block[i]) }
        }
        for i in 0..<ecc {
            for block in eccBlocks { out.append(block[i]) }
        }
        return out
    }

    /// The symbol as SVG: one path of unit squares, a 4-module quiet zone, scaled by the viewer.
    public func svg(moduleSize: Int = 8, title: String? = nil) -> String {
        let quiet = 4, side = size + 2 * quiet
        var path = ""
        for y in 0..<size {
            for x in 0..<size where self[x, y] {
                path += "M\(x + quiet) \(y + quiet)h1v1h-1z"
            }
        }
        let pixels = side * moduleSize
        var out = "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(side) \(side)\" width=\"\(pixels)\" height=\"\(pixels)\" shape-rendering=\"crispEdges\" role=\"img\">"
        if let title { out += "<title>\(SVGText.escape(title))</title>" }
        out += "<rect width=\"\(side)\" height=\"\(side)\" fill=\"#fff\"/><path d=\"\(path)\" fill=\"#000\"/></svg>"
        return out
    }
}

/// Lower-case hex of bytes, without `String(format:)` (which costs microseconds a byte on Linux).
public enum Hex {
    static let digits = Array("0123456789abcdef".utf8)

    public static func encode<S: Sequence>(_ bytes: S) -> String where S.Element == UInt8 {
        var out: [UInt8] = []
        out.reserveCapacity(64)
        for b in bytes {
            out.append(digits[Int(b >> 4)])
            out.append(digits[Int(b & 0x0F)])
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// Escaping for text placed in SVG/XML.
public enum SVGText {
    public static func escape(_ text: String) -> String {
        var out = ""
        for c in text {
            switch c {
            case "&": out += "&amp;"
            case "<": out += "&lt;"
            case ">": out += "&gt;"
            case "\"": out += "&quot;"
            case "'": out += "&apos;"
            default: out.append(c)
            }
        }
        return out
    }
}

struct BitBuffer {
    private(set) var bits: [Bool] = []
    var count: Int { bits.count }

    mutating func append(_ value: Int, count: Int) {
        guard count > 0 else { return }
        for i in stride(from: count - 1, through: 0, by: -1) { bits.append((value >> i) & 1 == 1) }
    }

    var bytes: [UInt8] {
        stride(from: 0, to: bits.count, by: 8).map { start in
            var b: UInt8 = 0
            for i in 0..<8 where start + i < bits.count && bits[start + i] { b |= 0x80 >> UInt8(i) }
            return b
        }
    }
}

/// Reed–Solomon over GF(2⁸) with the QR polynomial x⁸ + x⁴ + x³ + x² + 1 (0x11D), generator roots α⁰…αⁿ⁻¹.
enum ReedSolomon {
    static func multiply(_ x: UInt8, _ y: UInt8) -> UInt8 {
        var z = 0
        for i in stride(from: 7, through: 0, by: -1) {
            z = (z << 1) ^ ((z >> 7) * 0x11D)
            z ^= ((Int(y) >> i) & 1) * Int(x)
        }
        return UInt8(z)
    }

    /// The generator polynomial's coefficients, highest power first, the leading 1 omitted.
    static func divisor(degree: Int) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: degree)
        result[degree - 1] = 1
        var root: UInt8 = 1
        for _ in 0..<degree {
            for j in 0..<degree {
                result[j] = multiply(result[j], root)
                if j + 1 < degree { result[j] ^= result[j + 1] }
            }
            root = multiply(root, 0x02)
        }
        return result
    }

    static func remainder(_ data: [UInt8], divisor: [UInt8]) -> [UInt8] {
        var result = [UInt8](repeating: 0, count: divisor.count)
        for b in data {
            let factor = b ^ result.removeFirst()
            result.append(0)
            for i in 0..<divisor.count { result[i] ^= multiply(divisor[i], factor) }
        }
        return result
    }
}

/// The module grid while the symbol is built; `reserved` marks function modules (never masked, never data).
struct Grid {
    let version: Int
    let size: Int
    var dark: [Bool]
    var reserved: [Bool]

    init(version: Int) {
        self.version = version
        size = version * 4 + 17
        dark = Array(repeating: false, count: size * size)
        reserved = Array(repeating: false, count: size * size)
    }

    mutating func set(_ x: Int, _ y: Int, _ value: Bool) {
        dark[y * size + x] = value
        reserved[y * size + x] = true
    }

    static func alignmentPositions(_ version: Int) -> [Int] {
        guard version > 1 else { return [] }
        let count = version / 7 + 2
        let step = version == 32 ? 26 : (version * 4 + count * 2 + 1) / (count * 2 - 2) * 2
        var result = [6]
        var pos = version * 4 + 17 - 7
        var tail: [Int] = []
        for _ in 0..<(count - 1) {
            tail.insert(pos, at: 0)
            pos -= step
        }
        result += tail
        return result
    }

    mutating func drawFunctionPatterns() {
        for i in 0..<size {
            set(6, i, i % 2 == 0)
            set(i, 6, i % 2 == 0)
        }
        drawFinder(3, 3)
        drawFinder(size - 4, 3)
        drawFinder(3, size - 4)
        let positions = Self.alignmentPositions(version)
        let n = positions.count
        for i in 0..<n {
            for j in 0..<n where !((i == 0 && j == 0) || (i == 0 && j == n - 1) || (i == n - 1 && j == 0)) {
                drawAlignment(positions[i], positions[j])
            }
        }
        drawFormatBits(mask: 0)   // reserves the format areas; redrawn per mask
        drawVersion()
    }

    mutating func drawFinder(_ cx: Int, _ cy: Int) {
        for dy in -4...4 {
            for dx in -4...4 {
                let x = cx + dx, y = cy + dy
                guard x >= 0, x < size, y >= 0, y < size else { continue }
                let dist = max(abs(dx), abs(dy))
                set(x, y, dist != 2 && dist != 4)
            }
        }
    }

    mutating func drawAlignment(_ cx: Int, _ cy: Int) {
        for dy in -2...2 {
            for dx in -2...2 { set(cx + dx, cy + dy, max(abs(dx), abs(dy)) != 1) }
        }
    }

    /// 15 format bits: level and mask, BCH(15,5) protected, XOR 101010000010010 (ISO 18004 §7.9).
    static func formatBits(mask: Int) -> Int {
        let data = QRCode.levelBits << 3 | mask
        var rem = data
        for _ in 0..<10 { rem = (rem << 1) ^ ((rem >> 9) * 0x537) }
        return (data << 10 | rem) ^ 0x5412
    }

    mutating func drawFormatBits(mask: Int) {
        let bits = Self.formatBits(mask: mask)
        let bit = { (i: Int) in (bits >> i) & 1 == 1 }
        for i in 0...5 { set(8, i, bit(i)) }
        set(8, 7, bit(6))
        set(8, 8, bit(7))
        set(7, 8, bit(8))
        for i in 9..<15 { set(14 - i, 8, bit(i)) }
        for i in 0..<8 { set(size - 1 - i, 8, bit(i)) }
        for i in 8..<15 { set(8, size - 15 + i, bit(i)) }
        set(8, size - 8, true)   // the dark module
    }

    /// Versions 7+: 18 version bits, BCH(18,6) protected, in two 6×3 blocks.
    static func versionBits(_ version: Int) -> Int {
        var rem = version
        for _ in 0..<12 { rem = (rem << 1) ^ ((rem >> 11) * 0x1F25) }
        return version << 12 | rem
    }

    mutating func drawVersion() {
        guard version >= 7 else { return }
        let bits = Self.versionBits(version)
        for i in 0..<18 {
            let bit = (bits >> i) & 1 == 1
            let a = size - 11 + i % 3, b = i / 3
            set(a, b, bit)
            set(b, a, bit)
        }
    }

    /// Data in two-module columns, right to left, alternately upwards and downwards, skipping the timing column.
    mutating func place(_ codewords: [UInt8]) {
        var i = 0
        let total = codewords.count * 8
        var right = size - 1
        while right >= 1 {
            if right == 6 { right = 5 }
            for vert in 0..<size {
                for j in 0..<2 {
                    let x = right - j
                    let upward = (right + 1) & 2 == 0
                    let y = upward ? size - 1 - vert : vert
                    guard !reserved[y * size + x], i < total else { continue }
                    dark[y * size + x] = (codewords[i >> 3] >> UInt8(7 - (i & 7))) & 1 == 1
                    i += 1
                }
            }
            right -= 2
        }
    }

    static func maskBit(_ mask: Int, x: Int, y: Int) -> Bool {
        switch mask {
        case 0: (x + y) % 2 == 0
        case 1: y % 2 == 0
        case 2: x % 3 == 0
        case 3: (x + y) % 3 == 0
        case 4: (x / 3 + y / 2) % 2 == 0
        case 5: x * y % 2 + x * y % 3 == 0
        case 6: (x * y % 2 + x * y % 3) % 2 == 0
        default: ((x + y) % 2 + x * y % 3) % 2 == 0
        }
    }

    mutating func apply(mask: Int) {
        for y in 0..<size {
            for x in 0..<size where !reserved[y * size + x] && Self.maskBit(mask, x: x, y: y) {
                dark[y * size + x].toggle()
            }
        }
    }

    /// The four penalty rules of ISO 18004 §7.8.3: runs, 2×2 blocks, finder-like patterns, dark balance.
    func penalty() -> Int {
        var score = 0
        let at = { (x: Int, y: Int) in dark[y * size + x] }
        for horizontal in [true, false] {
            for a in 0..<size {
                var run = 1
                var line: [Bool] = []
                line.reserveCapacity(size)
                for b in 0..<size { line.append(horizontal ? at(b, a) : at(a, b)) }
                for b in 1..<size {
                    if line[b] == line[b - 1] {
                        run += 1
                    } else {
                        if run >= 5 { score += 3 + run - 5 }
                        run = 1
                    }
                }
                if run >= 5 { score += 3 + run - 5 }
                // 1:1:3:1:1 dark pattern with four light modules on one side (outside the symbol counts as light).
                let pattern: [Bool] = [true, false, true, true, true, false, true]
                for b in -4..<size {
                    let matches = (0..<7).allSatisfy { k in b + k >= 0 && b + k < size && line[b + k] == pattern[k] }
                    guard matches else { continue }
                    let lightBefore = (1...4).allSatisfy { k in b - k < 0 || !line[b - k] }
                    let lightAfter = (7..<11).allSatisfy { k in b + k >= size || !line[b + k] }
                    if lightBefore { score += 40 }
                    if lightAfter { score += 40 }
                }
            }
        }
        for y in 0..<(size - 1) {
            for x in 0..<(size - 1) {
                let c = at(x, y)
                if c == at(x + 1, y), c == at(x, y + 1), c == at(x + 1, y + 1) { score += 3 }
            }
        }
        let darkCount = dark.reduce(0) { $0 + ($1 ? 1 : 0) }
        let total = size * size
        // Each full 5 % step away from half dark costs 10.
        let k = (abs(darkCount * 20 - total * 10) + total - 1) / total - 1
        score += max(0, k) * 10
        return score
    }
}
