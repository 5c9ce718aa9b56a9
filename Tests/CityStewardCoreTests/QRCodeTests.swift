@testable import CityStewardCore
import Foundation
import CityStewardTestSupport
import Testing

@Suite("QR code (ISO/IEC 18004, byte mode, level M)")
struct QRCodeTests {
    /// The worked example of ISO 18004 Annex I / thonky.com: "HELLO WORLD" 1-M data codewords and their 10 EC codewords.
    @Test func reedSolomonMatchesThePublishedExample() {
        let data: [UInt8] = [32, 91, 11, 120, 209, 114, 220, 77, 67, 64, 236, 17, 236, 17, 236, 17]
        let ecc = ReedSolomon.remainder(data, divisor: ReedSolomon.divisor(degree: 10))
        #expect(ecc == [196, 35, 39, 119, 235, 215, 231, 226, 93, 23])
    }

    @Test func formatAndVersionInformationMatchTheStandardsTables() {
        // ISO 18004 Table C.1: level M, masks 0 and 5; Table D.1: versions 7 and 40.
        #expect(Grid.formatBits(mask: 0) == 0b101010000010010)
        #expect(Grid.formatBits(mask: 5) == 0b100000011001110)
        #expect(Grid.versionBits(7) == 0b000111110010010100)
        #expect(Grid.versionBits(40) == 0b101000110001101001)
    }

    @Test func capacityPicksTheSmallestVersion() throws {
        // Level M byte capacities (ISO 18004 Table 7): v1 14, v2 26, v5 84, v10 213, v40 2331.
        #expect(QRCode.version(forByteCount: 14) == 1)
        #expect(QRCode.version(forByteCount: 15) == 2)
        #expect(QRCode.version(forByteCount: 84) == 5)
        #expect(QRCode.version(forByteCount: 85) == 6)
        #expect(QRCode.version(forByteCount: 213) == 10)
        #expect(QRCode.version(forByteCount: 2331) == 40)
        #expect(QRCode.version(forByteCount: 2332) == nil)
        #expect(throws: QRCode.Problem.tooLong(bytes: 3000)) { try QRCode.encode(bytes: Array(repeating: 0x41, count: 3000)) }
    }

    @Test func alignmentPatternPositionsMatchAnnexE() {
        #expect(Grid.alignmentPositions(1) == [])
        #expect(Grid.alignmentPositions(2) == [6, 18])
        #expect(Grid.alignmentPositions(7) == [6, 22, 38])
        #expect(Grid.alignmentPositions(32) == [6, 34, 60, 86, 112, 138])
        #expect(Grid.alignmentPositions(40) == [6, 30, 58, 86, 114, 142, 170])
    }

    @Test func theSymbolHasItsFunctionPatternsAndReadableFormat() throws {
        let code = try QRCode.encode("https://citysteward.example/q/440309006001V01")
        #expect(code.version == 4 && code.size == 33)   // 46 bytes: v3-M holds 42, v4-M 62
        // Finder pattern corners and centres, the timing row, the dark module.
        for (cx, cy) in [(3, 3), (code.size - 4, 3), (3, code.size - 4)] {
            #expect(code[cx, cy] && code[cx - 3, cy - 3] && !code[cx - 2, cy - 2])
        }
        #expect((8..<(code.size - 8)).allSatisfy { code[$0, 6] == ($0 % 2 == 0) })
        #expect(code[8, code.size - 8])
        // The format bits read back (first copy) give level M and the chosen mask.
        var bits = 0
        for i in 0...5 where code[8, i] { bits |= 1 << i }
        if code[8, 7] { bits |= 1 << 6 }
        if code[8, 8] { bits |= 1 << 7 }
        if code[7, 8] { bits |= 1 << 8 }
        for i in 9..<15 where code[14 - i, 8] { bits |= 1 << i }
        #expect(bits == Grid.formatBits(mask: code.mask))
        let svg = code.svg(title: "a & b")
        #expect(svg.hasPrefix("<svg") && svg.contains("<title>a &amp; b</title>") && svg.contains("viewBox=\"0 0 41 41\""))
    }

    /// Every mask produces a different symbol; the chosen one has the lowest penalty.
    @Test func theMaskWithTheLowestPenaltyIsChosen() throws {
        let bytes = Array("龙华区城市管家".utf8)
        let chosen = try QRCode.encode(bytes: bytes)
        var penalties: [Int] = []
        for mask in 0..<8 {
            let forced = try QRCode.encode(bytes: bytes, forceMask: mask)
            var grid = Grid(version: forced.version)
            grid.dark = forced.modules
            penalties.append(grid.penalty())
        }
        #expect(penalties[chosen.mask] == penalties.min())
        #expect(Set(try (0..<8).map { try QRCode.encode(bytes: bytes, forceMask: $0).modules }).count == 8)
    }
}

@Suite("QR code read back by zbar", .enabled(if: QRReader.available))
struct QRDecodeTests {
    /// Sizes across the version range: 1, 4 (one alignment pattern), 7+ (version information), 10+ (16-bit count),
    /// and UTF-8 text.
    @Test(arguments: [
        "LH-2026-000001",
        "https://citysteward.example/q/440309006001V01",
        String(repeating: "https://citysteward.example/track/", count: 4),
        "https://citysteward.example/q/440309006001V01001B01?lang=en&" + String(repeating: "x", count: 200),
        "龙华区民治街道松仔园村 城市管家 码上办 https://citysteward.example/q/440309006001V01",
    ])
    func decodesToTheEncodedText(text: String) throws {
        let code = try QRCode.encode(text)
        #expect(try QRReader.decode(svg: code.svg()) == text, "version \(code.version)")
    }
}
