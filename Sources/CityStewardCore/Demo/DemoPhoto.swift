import Foundation

/// A real, decodable image for the demo's handled cases (处置完成 asks for a photo after) and for tests; drawn here
/// so the demo needs no image files.
public enum DemoPhoto {
    /// `width` × `height` RGB stripes, zlib stored blocks, true CRCs; `text` as a tEXt chunk when given.
    public static func png(width: Int = 160, height: Int = 120, text: String? = nil) -> Data {
        func crc32(_ bytes: [UInt8]) -> UInt32 {
            var c: UInt32 = 0xFFFF_FFFF
            for b in bytes {
                c ^= UInt32(b)
                for _ in 0..<8 { c = (c >> 1) ^ (c & 1 == 1 ? 0xEDB8_8320 : 0) }
            }
            return ~c
        }
        func be(_ n: UInt32) -> [UInt8] { [UInt8(n >> 24), UInt8(n >> 16 & 0xFF), UInt8(n >> 8 & 0xFF), UInt8(n & 0xFF)] }
        var out: [UInt8] = [0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]
        func chunk(_ type: String, _ data: [UInt8]) {
            let body = Array(type.utf8) + data
            out += be(UInt32(data.count)) + body + be(crc32(body))
        }
        chunk("IHDR", be(UInt32(width)) + be(UInt32(height)) + [8, 2, 0, 0, 0])
        if let text { chunk("tEXt", Array(text.utf8)) }
        var raw: [UInt8] = []
        for y in 0..<height {
            raw.append(0)
            for x in 0..<width {
                let band = (x / 20 + y / 20) % 3
                raw += band == 0 ? [0x2E, 0x8B, 0x57] : band == 1 ? [0xF5, 0xF0, 0xE1] : [0x8B, 0x5E, 0x34]
            }
        }
        var zlib: [UInt8] = [0x78, 0x01]
        var start = 0
        while start < raw.count {
            let n = min(65535, raw.count - start)
            zlib.append(start + n == raw.count ? 1 : 0)
            zlib += [UInt8(n & 0xFF), UInt8(n >> 8), UInt8(~n & 0xFF), UInt8((~n >> 8) & 0xFF)]
            zlib += raw[start..<(start + n)]
            start += n
        }
        var a: UInt32 = 1, b: UInt32 = 0
        for byte in raw {
            a = (a + UInt32(byte)) % 65521
            b = (b + a) % 65521
        }
        zlib += be(b << 16 | a)
        chunk("IDAT", zlib)
        chunk("IEND", [])
        return Data(out)
    }
}
