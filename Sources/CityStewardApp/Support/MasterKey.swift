import CityStewardStore
import Crypto
import Foundation
import Vapor

/// The master key for personal data at rest (DESIGN §6): `CITYSTEWARD_MASTER_KEY`, else `<data>/master.key`,
/// created on first start with mode 0600 (readable by the service account only).
enum MasterKey {
    static func load(_ config: AppConfig) throws -> SymmetricKey {
        if let text = config.masterKey, let data = Data(base64Encoded: text), data.count == 32 {
            return SymmetricKey(data: data)
        }
        let path = config.masterKeyFile
        let files = FileManager.default
        if let text = try? String(contentsOfFile: path, encoding: .utf8),
           let data = Data(base64Encoded: text.trimmingCharacters(in: .whitespacesAndNewlines)), data.count == 32 {
            return SymmetricKey(data: data)
        }
        if files.fileExists(atPath: path) {
            throw Abort(.internalServerError, reason: "\(path) is not a base64 32-byte key; fix or remove it (data sealed with it would be lost)")
        }
        try files.createDirectory(atPath: config.dataDirectory, withIntermediateDirectories: true)
        let key = SymmetricKey(size: .bits256)
        let text = key.withUnsafeBytes { Data($0).base64EncodedString() } + "\n"
        guard files.createFile(atPath: path, contents: Data(text.utf8), attributes: [.posixPermissions: 0o600]) else {
            throw Abort(.internalServerError, reason: "cannot create the master key file \(path)")
        }
        return key
    }
}

extension Application {
    private struct FieldCipherKey: StorageKey { typealias Value = FieldCipher }

    /// Seals personal data (a reporter's phone) and computes blind indexes.
    var fieldCipher: FieldCipher {
        get { storage[FieldCipherKey.self]! }
        set { storage[FieldCipherKey.self] = newValue }
    }
}
