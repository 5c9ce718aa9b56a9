import Foundation

/// Random bits for ids, drawn from the system's CSPRNG (`arc4random_buf`: glibc 2.36+, Darwin) 512 bytes at a time.
/// `SystemRandomNumberGenerator` makes one `getrandom` system call per 8 bytes: two per id, six per intake. Ids are
/// not secrets; secrets (tokens, keys) keep drawing from the system generator directly.
final class RandomPool: @unchecked Sendable {
    static let shared = RandomPool()
    private let lock = NSLock()
    private var words = [UInt64](repeating: 0, count: 64)
    private var used = 64

    func twoWords() -> (UInt64, UInt64) {
        lock.lock()
        defer { lock.unlock() }
        if used + 2 > words.count {
            words.withUnsafeMutableBytes { arc4random_buf($0.baseAddress!, $0.count) }
            used = 0
        }
        used += 2
        return (words[used - 2], words[used - 1])
    }
}

extension UUID {
    /// A random (version 4, RFC 9562) UUID from the system's generator. Foundation's `UUID()` on Linux opens and reads
    /// /dev/urandom on every call (two system calls and a file descriptor); ids made on every request and every device
    /// event come from here instead.
    public static func random() -> UUID {
        let (a, b) = RandomPool.shared.twoWords()
        func byte(_ v: UInt64, _ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: v >> (8 * i)) }
        return UUID(uuid: (byte(a, 0), byte(a, 1), byte(a, 2), byte(a, 3), byte(a, 4), byte(a, 5),
                           (byte(a, 6) & 0x0F) | 0x40, byte(a, 7),
                           (byte(b, 0) & 0x3F) | 0x80, byte(b, 1), byte(b, 2), byte(b, 3), byte(b, 4), byte(b, 5), byte(b, 6), byte(b, 7)))
    }

    /// A time-ordered (version 7, RFC 9562) UUID: 48 bits of Unix milliseconds, then 74 random bits. Rows keyed by
    /// these are appended at the end of their primary-key index instead of into a random page of it, so a batch of
    /// new cases, events and notifications dirties a few pages rather than one per row (with random ids each
    /// intake commit wrote ~100 scattered index pages to the WAL). The creation time it reveals is already public on
    /// every record made with it.
    public static func timeOrdered(at date: Date = Date()) -> UUID {
        let (r, s) = RandomPool.shared.twoWords()
        let ms = UInt64(max(0, date.timeIntervalSince1970 * 1000))
        func byte(_ v: UInt64, _ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: v >> (8 * i)) }
        return UUID(uuid: (byte(ms, 5), byte(ms, 4), byte(ms, 3), byte(ms, 2), byte(ms, 1), byte(ms, 0),
                           (byte(r, 0) & 0x0F) | 0x70, byte(r, 1),
                           (byte(s, 0) & 0x3F) | 0x80, byte(s, 1), byte(s, 2), byte(s, 3), byte(s, 4), byte(s, 5), byte(s, 6), byte(s, 7)))
    }

    /// The canonical text (8-4-4-4-12 hex digits), upper or lower case. `uuidString` formats through libuuid's
    /// `sprintf` on Linux, which showed up in the intake's profile; this writes the 36 bytes directly.
    public func text(uppercase: Bool) -> String {
        let digits: StaticString = uppercase ? "0123456789ABCDEF" : "0123456789abcdef"
        return withUnsafeBytes(of: uuid) { raw in
            digits.withUTF8Buffer { hex in
                String(unsafeUninitializedCapacity: 36) { out in
                    var o = 0
                    for (i, b) in raw.enumerated() {
                        if i == 4 || i == 6 || i == 8 || i == 10 { out[o] = UInt8(ascii: "-"); o += 1 }
                        out[o] = hex[Int(b >> 4)]
                        out[o + 1] = hex[Int(b & 0x0F)]
                        o += 2
                    }
                    return o
                }
            }
        }
    }
}
