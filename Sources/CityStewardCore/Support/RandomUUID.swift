import Foundation

extension UUID {
    /// A random (version 4, RFC 9562) UUID from the system's generator. Foundation's `UUID()` on Linux opens and reads
    /// /dev/urandom on every call (two system calls and a file descriptor); ids made on every request and every device
    /// event come from here instead.
    public static func random() -> UUID {
        var g = SystemRandomNumberGenerator()
        let a: UInt64 = g.next(), b: UInt64 = g.next()
        func byte(_ v: UInt64, _ i: Int) -> UInt8 { UInt8(truncatingIfNeeded: v >> (8 * i)) }
        return UUID(uuid: (byte(a, 0), byte(a, 1), byte(a, 2), byte(a, 3), byte(a, 4), byte(a, 5),
                           (byte(a, 6) & 0x0F) | 0x40, byte(a, 7),
                           (byte(b, 0) & 0x3F) | 0x80, byte(b, 1), byte(b, 2), byte(b, 3), byte(b, 4), byte(b, 5), byte(b, 6), byte(b, 7)))
    }
}
