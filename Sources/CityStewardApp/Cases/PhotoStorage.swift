import CityStewardCore
import Crypto
import Foundation
import NIOPosix

/// A checked photo, ready to be written: the original and its public copy (location metadata removed).
struct PreparedPhoto: Sendable {
    var original: Data
    var publicCopy: Data
    var format: PhotoFormat
    var role: PhotoRole

    var hash: String { PhotoStorage.hash(original) }
    var publicHash: String { PhotoStorage.hash(publicCopy) }
    /// What the case records of it once its files are written.
    var casePhoto: CasePhoto { CasePhoto(role: role, hash: hash, publicHash: publicHash, format: format, bytes: original.count) }

    /// Checks every photo before anything is written (size 413, type 415, count 400).
    static func prepare(_ photos: [(data: Data, role: PhotoRole)], policy: PhotoPolicy) throws(DomainError) -> [PreparedPhoto] {
        try policy.checkCount(photos.count)
        var out: [PreparedPhoto] = []
        for (i, p) in photos.enumerated() {
            let format = try policy.check(p.data, index: i)
            guard let copy = PhotoSanitizer.publicCopy(p.data, format: format) else {
                throw .unsupportedType(LocalizedText(zh: "第 \(i + 1) 张照片文件已损坏", en: "photo \(i + 1) is damaged"))
            }
            out.append(PreparedPhoto(original: p.data, publicCopy: copy, format: format, role: p.role))
        }
        return out
    }
}

/// Photo files under `<data dir>/photos/`, named by the SHA-256 of their content (so the same photo is stored once
/// and a name cannot be guessed). Originals are shown to staff; public copies have no location metadata.
struct PhotoStorage: Sendable {
    let root: String
    let threadPool: NIOThreadPool

    static func hash(_ data: Data) -> String {
        SHA256.hash(data: data).hexString
    }

    static func isValidName(_ name: String) -> Bool {
        name.count == 64 && name.allSatisfy { $0.isHexDigit && ($0.isNumber || $0.isLowercase) }
    }

    func path(hash: String, format: PhotoFormat) -> String {
        "\(root)/\(hash.prefix(2))/\(hash).\(format.fileExtension)"
    }

    /// Writes the files that are not there yet; returns the paths it created (to remove if the case is not saved).
    func write(_ photos: [PreparedPhoto]) async throws -> [String] {
        let root = self.root
        return try await threadPool.runIfActive {
            var created: [String] = []
            let fm = FileManager.default
            do {
                for photo in photos {
                    for (data, hash) in [(photo.original, photo.hash), (photo.publicCopy, photo.publicHash)] {
                        let folder = "\(root)/\(hash.prefix(2))"
                        let file = "\(folder)/\(hash).\(photo.format.fileExtension)"
                        if fm.fileExists(atPath: file) { continue }
                        try fm.createDirectory(atPath: folder, withIntermediateDirectories: true)
                        try data.write(to: URL(fileURLWithPath: file), options: .atomic)
                        created.append(file)
                    }
                }
            } catch {
                for file in created { try? fm.removeItem(atPath: file) }
                throw error
            }
            return created
        }
    }

    func remove(_ paths: [String]) async {
        _ = try? await threadPool.runIfActive {
            for file in paths { try? FileManager.default.removeItem(atPath: file) }
        }
    }

    func read(hash: String, format: PhotoFormat) async throws -> Data? {
        let file = path(hash: hash, format: format)
        return try await threadPool.runIfActive { FileManager.default.contents(atPath: file) }
    }
}
