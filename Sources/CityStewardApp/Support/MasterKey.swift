import CityStewardStore
import Crypto
import Foundation
import NIOConcurrencyHelpers
import Vapor

/// The master key ring for personal data at rest (DESIGN §6): `CITYSTEWARD_MASTER_KEY` (one base64 key, or a ring
/// `v1 KEY,v2 KEY`), else `<data>/master.key`, created on first start with mode 0600 (readable by the service
/// account only). A ring read from the file is re-read when the file changes, so `citysteward keys rotate` reaches
/// running instances without a restart.
enum MasterKey {
    static func ring(fromEnvironment text: String) -> [(version: String, key: SymmetricKey)]? {
        FieldCipher.parseRing(text.replacingOccurrences(of: ",", with: "\n"))
    }

    static func load(_ config: AppConfig) throws -> [(version: String, key: SymmetricKey)] {
        if let text = config.masterKey {
            guard let ring = ring(fromEnvironment: text) else { throw Abort(.internalServerError, reason: "CITYSTEWARD_MASTER_KEY is not a key or key ring") }
            return ring
        }
        let path = config.masterKeyFile
        let files = FileManager.default
        if let text = try? String(contentsOfFile: path, encoding: .utf8) {
            guard let ring = FieldCipher.parseRing(text) else {
                throw Abort(.internalServerError, reason: "\(path) is not a key ring; fix or restore it (data sealed with it would be lost)")
            }
            return ring
        }
        try files.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let ring = [(version: "v1", key: SymmetricKey(size: .bits256))]
        try write(ring, to: path)
        return ring
    }

    /// Writes the ring atomically (a new file renamed over the old), mode 0600.
    static func write(_ ring: [(version: String, key: SymmetricKey)], to path: String) throws {
        let temporary = path + ".new"
        let files = FileManager.default
        try? files.removeItem(atPath: temporary)
        guard files.createFile(atPath: temporary, contents: Data(FieldCipher.formatRing(ring).utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Abort(.internalServerError, reason: "cannot write the key file \(temporary)")
        }
        guard rename(temporary, path) == 0 else { throw Abort(.internalServerError, reason: "cannot replace the key file \(path)") }
    }
}

/// The cipher in use, re-read from the key file at most every `recheck` when the file changed.
final class KeyRing: Sendable {
    /// The file's modification time and size when last read (a rotation adds a line, so the size changes even
    /// within the file system's time resolution).
    private let state: NIOLockedValueBox<(cipher: FieldCipher, checkedAt: ContinuousClock.Instant, stamp: String?)>
    private let path: String?
    let recheck: Duration

    init(config: AppConfig, recheck: Duration = .seconds(5)) throws {
        path = config.masterKey == nil ? config.masterKeyFile : nil
        self.recheck = recheck
        let ring = try MasterKey.load(config)
        state = NIOLockedValueBox((FieldCipher(ring: ring), .now, path.flatMap(Self.stamp)))
    }

    static func stamp(_ path: String) -> String? {
        guard let a = try? FileManager.default.attributesOfItem(atPath: path) else { return nil }
        return "\((a[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0)-\((a[.size] as? NSNumber)?.intValue ?? 0)"
    }

    var cipher: FieldCipher {
        let (cipher, due) = state.withLockedValue { s in (s.cipher, ContinuousClock.now - s.checkedAt >= recheck) }
        guard due, let path else { return cipher }
        let stamp = Self.stamp(path)
        return state.withLockedValue { s in
            s.checkedAt = .now
            guard stamp != s.stamp, let text = try? String(contentsOfFile: path, encoding: .utf8),
                  let ring = FieldCipher.parseRing(text) else { return s.cipher }
            s.cipher = FieldCipher(ring: ring)
            s.stamp = stamp
            return s.cipher
        }
    }
}

extension Application {
    private struct KeyRingKey: StorageKey { typealias Value = KeyRing }

    var keyRing: KeyRing {
        get { storage[KeyRingKey.self]! }
        set { storage[KeyRingKey.self] = newValue }
    }

    /// Seals personal data (residents, a reporter's phone) and computes blind indexes.
    var fieldCipher: FieldCipher { keyRing.cipher }
}
