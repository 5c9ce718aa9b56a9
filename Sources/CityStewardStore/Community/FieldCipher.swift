import CityStewardCore
import Crypto
import Foundation

/// Personal data at rest (DESIGN §6): values sealed with AES-256-GCM under a key derived from a master key, and an
/// HMAC-SHA256 blind index so exact-match lookups (a phone number) need no decryption. Sealed text is
/// `<version>:` + base64(nonce ‖ ciphertext ‖ tag). The cipher holds a key ring: the newest key seals and indexes;
/// every older key still opens and still finds, so `citysteward keys rotate` can re-seal row by row while the
/// service runs.
public struct FieldCipher: Sendable {
    struct Key: Sendable {
        let version: String
        let seal: SymmetricKey
        let index: SymmetricKey
    }

    /// Oldest first; the last one is current.
    let keys: [Key]

    public var keyVersion: String { keys.last!.version }
    public var versions: [String] { keys.map(\.version) }

    public init(masterKey: SymmetricKey, keyVersion: String = "v1") {
        self.init(ring: [(keyVersion, masterKey)])
    }

    /// `ring`: (version, master key), oldest first.
    public init(ring: [(version: String, key: SymmetricKey)]) {
        precondition(!ring.isEmpty, "a key ring needs a key")
        // Separate subkeys: a leaked index key must not open sealed values, and the other way round.
        keys = ring.map { v, k in
            Key(version: v,
                seal: HKDF<SHA256>.deriveKey(inputKeyMaterial: k, info: Data("citysteward field seal".utf8), outputByteCount: 32),
                index: HKDF<SHA256>.deriveKey(inputKeyMaterial: k, info: Data("citysteward blind index".utf8), outputByteCount: 32))
        }
    }

    public enum Failure: Error, Sendable {
        case malformed, wrongKey, unknownKey(String)
    }

    public func seal(_ value: String) throws -> String {
        let current = keys.last!
        let box = try AES.GCM.seal(Data(value.utf8), using: current.seal)
        guard let combined = box.combined else { throw Failure.malformed }
        return current.version + ":" + combined.base64EncodedString()
    }

    public static func version(of sealed: String) -> String? {
        sealed.firstIndex(of: ":").map { String(sealed[..<$0]) }
    }

    public func open(_ sealed: String) throws -> String {
        guard let colon = sealed.firstIndex(of: ":"), let data = Data(base64Encoded: String(sealed[sealed.index(after: colon)...])) else {
            throw Failure.malformed
        }
        let version = String(sealed[..<colon])
        guard let key = keys.first(where: { $0.version == version }) else { throw Failure.unknownKey(version) }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: key.seal), as: UTF8.self)
        } catch {
            throw Failure.wrongKey
        }
    }

    /// The same value always gives the same index under one key; without the key it says nothing of the value.
    public func blindIndex(_ value: String) -> String {
        Self.mac(value, keys.last!.index)
    }

    /// The value's index under every key of the ring (a search during a rotation finds rows not yet re-indexed).
    public func blindIndexes(_ value: String) -> [String] {
        keys.map { Self.mac(value, $0.index) }
    }

    static func mac(_ value: String, _ key: SymmetricKey) -> String {
        Data(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key)).base64EncodedString()
    }

    /// A URL-safe secret derived from `value` for one purpose (a tracking link from a form's key): the same form
    /// gives the same link, and nobody without the key can compute it. Derived from the ring's first key, so
    /// rotation does not change it.
    public func derivedToken(_ purpose: String, _ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((purpose + "\u{0}" + value).utf8), using: keys.first!.index)
        return Data(Data(mac).prefix(16)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// A keyed pseudonym for one data consumer: HMAC under a key derived for that consumer alone (from the ring's
    /// first key, so rotation keeps pseudonyms stable), so two consumers cannot join their data on it.
    public func pseudonymizer(consumer: String) -> @Sendable (String) -> String {
        let key = HKDF<SHA256>.deriveKey(inputKeyMaterial: keys.first!.index, info: Data("citysteward pseudonym \(consumer)".utf8), outputByteCount: 32)
        return { value in
            Hex.encode(HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: key))
        }
    }

    // MARK: The key file

    /// A key ring as text: one `<version> <base64 of 32 bytes>` per line, oldest first (a single bare base64 line,
    /// the first format, is `v1`). Comments start with `#`.
    public static func parseRing(_ text: String) -> [(version: String, key: SymmetricKey)]? {
        var ring: [(String, SymmetricKey)] = []
        for raw in text.split(whereSeparator: \.isNewline) {
            let line = raw.trimmingCharacters(in: .whitespaces)
            guard !line.isEmpty, !line.hasPrefix("#") else { continue }
            let parts = line.split(separator: " ", maxSplits: 1).map(String.init)
            let (version, encoded) = parts.count == 2 ? (parts[0], parts[1]) : ("v1", parts[0])
            guard version.range(of: #"^v[0-9]+$"#, options: .regularExpression) != nil,
                  let data = Data(base64Encoded: encoded.trimmingCharacters(in: .whitespaces)), data.count == 32,
                  !ring.contains(where: { $0.0 == version }) else { return nil }
            ring.append((version, SymmetricKey(data: data)))
        }
        return ring.isEmpty ? nil : ring
    }

    public static func formatRing(_ ring: [(version: String, key: SymmetricKey)]) -> String {
        "# City Steward key ring: oldest first, the last seals. Keep with the backups; never share.\n"
            + ring.map { v, k in v + " " + k.withUnsafeBytes { Data($0).base64EncodedString() } }.joined(separator: "\n") + "\n"
    }
}
