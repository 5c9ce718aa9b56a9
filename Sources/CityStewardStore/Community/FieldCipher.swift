import CityStewardCore
import Crypto
import Foundation

/// Personal data at rest (DESIGN §6): values sealed with AES-256-GCM under a key derived from the master key, and an
/// HMAC-SHA256 blind index so exact-match lookups (a phone number) need no decryption. Sealed text is
/// `v1:` + base64(nonce ‖ ciphertext ‖ tag); the version names the key so rotation can re-seal row by row.
public struct FieldCipher: Sendable {
    let sealKey: SymmetricKey
    let indexKey: SymmetricKey
    public let keyVersion: String

    public init(masterKey: SymmetricKey, keyVersion: String = "v1") {
        // Separate subkeys: a leaked index key must not open sealed values, and the other way round.
        sealKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: masterKey, info: Data("citysteward field seal".utf8), outputByteCount: 32)
        indexKey = HKDF<SHA256>.deriveKey(inputKeyMaterial: masterKey, info: Data("citysteward blind index".utf8), outputByteCount: 32)
        self.keyVersion = keyVersion
    }

    public enum Failure: Error, Sendable {
        case malformed, wrongKey
    }

    public func seal(_ value: String) throws -> String {
        let box = try AES.GCM.seal(Data(value.utf8), using: sealKey)
        guard let combined = box.combined else { throw Failure.malformed }
        return keyVersion + ":" + combined.base64EncodedString()
    }

    public func open(_ sealed: String) throws -> String {
        guard let colon = sealed.firstIndex(of: ":"), String(sealed[..<colon]) == keyVersion,
              let data = Data(base64Encoded: String(sealed[sealed.index(after: colon)...])) else { throw Failure.malformed }
        do {
            let box = try AES.GCM.SealedBox(combined: data)
            return String(decoding: try AES.GCM.open(box, using: sealKey), as: UTF8.self)
        } catch {
            throw Failure.wrongKey
        }
    }

    /// A URL-safe secret derived from `value` for one purpose (a tracking link from a form's key): the same form
    /// gives the same link, and nobody without the key can compute it.
    public func derivedToken(_ purpose: String, _ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data((purpose + "\u{0}" + value).utf8), using: indexKey)
        return Data(Data(mac).prefix(16)).base64EncodedString().replacingOccurrences(of: "+", with: "-")
            .replacingOccurrences(of: "/", with: "_").replacingOccurrences(of: "=", with: "")
    }

    /// The same value always gives the same index under one key; without the key it says nothing of the value.
    public func blindIndex(_ value: String) -> String {
        let mac = HMAC<SHA256>.authenticationCode(for: Data(value.utf8), using: indexKey)
        return Data(mac).base64EncodedString()
    }
}
