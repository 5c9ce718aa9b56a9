import Foundation

/// The image formats a case photo may have, recognised by their bytes (never by the name or the declared type).
public enum PhotoFormat: String, Sendable, Codable, CaseIterable {
    case jpeg, png, webp

    public var mediaType: String {
        switch self {
        case .jpeg: "image/jpeg"
        case .png: "image/png"
        case .webp: "image/webp"
        }
    }

    public var fileExtension: String { self == .jpeg ? "jpg" : rawValue }

    public static func sniff(_ data: Data) -> PhotoFormat? {
        let b = [UInt8](data.prefix(12))
        if b.count >= 3, b[0] == 0xFF, b[1] == 0xD8, b[2] == 0xFF { return .jpeg }
        if b.count >= 8, b[0..<8].elementsEqual([0x89, 0x50, 0x4E, 0x47, 0x0D, 0x0A, 0x1A, 0x0A]) { return .png }
        if b.count >= 12, b[0..<4].elementsEqual(Array("RIFF".utf8)), b[8..<12].elementsEqual(Array("WEBP".utf8)) { return .webp }
        return nil
    }
}

/// What kind of photo in a case's record.
public enum PhotoRole: String, Sendable, Codable, CaseIterable {
    case report   // taken when reporting
    case before   // before on-the-spot handling
    case after    // after handling
    case evidence // attached to a later step

    public var label: LocalizedText {
        switch self {
        case .report: LocalizedText(zh: "上报照片", en: "Reported")
        case .before: LocalizedText(zh: "处置前", en: "Before")
        case .after: LocalizedText(zh: "处置后", en: "After")
        case .evidence: LocalizedText(zh: "佐证", en: "Evidence")
        }
    }
}

/// Photo rules: size, count, formats; and the copy shown publicly, with location and camera metadata removed.
public struct PhotoPolicy: Sendable {
    public var maxBytes: Int
    public var maxPhotos: Int

    public init(maxBytes: Int = 8 * 1024 * 1024, maxPhotos: Int = 6) {
        self.maxBytes = maxBytes
        self.maxPhotos = maxPhotos
    }

    public static let standard = PhotoPolicy()

    /// Checks one photo; returns its format.
    public func check(_ data: Data, index: Int) throws(DomainError) -> PhotoFormat {
        guard data.count <= maxBytes else {
            throw .tooLarge(LocalizedText(zh: "第 \(index + 1) 张照片超过 \(maxBytes / 1024 / 1024) MB", en: "photo \(index + 1) is larger than \(maxBytes / 1024 / 1024) MB"))
        }
        guard let format = PhotoFormat.sniff(data) else {
            throw .unsupportedType(LocalizedText(zh: "第 \(index + 1) 张照片不是 JPEG、PNG 或 WebP 图片", en: "photo \(index + 1) is not a JPEG, PNG or WebP image"))
        }
        guard let _ = PhotoSanitizer.publicCopy(data, format: format) else {
            throw .unsupportedType(LocalizedText(zh: "第 \(index + 1) 张照片文件已损坏", en: "photo \(index + 1) is not a well-formed \(format.rawValue.uppercased()) file"))
        }
        return format
    }

    public func checkCount(_ count: Int) throws(DomainError) {
        guard count <= maxPhotos else {
            throw .invalid(field: "photos", LocalizedText(zh: "最多 \(maxPhotos) 张照片", en: "at most \(maxPhotos) photos"))
        }
    }
}

/// Removes metadata that can carry a position or a device identity (EXIF with GPS, XMP, comments, text chunks)
/// without re-encoding the pixels. Returns nil when the file's structure is broken.
public enum PhotoSanitizer {
    public static func publicCopy(_ data: Data, format: PhotoFormat) -> Data? {
        switch format {
        case .jpeg: jpeg(data)
        case .png: png(data)
        case .webp: webp(data)
        }
    }

    /// JPEG: keep SOI, drop APP1..APP15 (EXIF, XMP, vendor blocks) and COM segments, copy the rest to the end.
    static func jpeg(_ data: Data) -> Data? {
        let b = [UInt8](data)
        guard b.count >= 4, b[0] == 0xFF, b[1] == 0xD8 else { return nil }
        var out: [UInt8] = [0xFF, 0xD8]
        var i = 2
        while i + 4 <= b.count {
            guard b[i] == 0xFF else { return nil }
            let marker = b[i + 1]
            if marker == 0xFF { i += 1; continue }   // fill byte
            if marker == 0xDA || marker == 0xD9 {    // start of scan: the rest is image data
                out.append(contentsOf: b[i...])
                return Data(out)
            }
            if (0xD0...0xD7).contains(marker) || marker == 0x01 { out.append(contentsOf: b[i..<i + 2]); i += 2; continue }
            let length = Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 2, i + 2 + length <= b.count else { return nil }
            let drop = (0xE1...0xEF).contains(marker) || marker == 0xFE
            if !drop { out.append(contentsOf: b[i..<i + 2 + length]) }
            i += 2 + length
        }
        return nil
    }

    /// PNG: drop eXIf, tEXt, zTXt, iTXt and tIME chunks.
    static func png(_ data: Data) -> Data? {
        let b = [UInt8](data)
        guard b.count >= 8 else { return nil }
        var out = Array(b[0..<8])
        var i = 8
        var sawEnd = false
        while i + 12 <= b.count {
            let length = Int(b[i]) << 24 | Int(b[i + 1]) << 16 | Int(b[i + 2]) << 8 | Int(b[i + 3])
            guard length >= 0, i + 12 + length <= b.count else { return nil }
            let type = String(decoding: b[i + 4..<i + 8], as: UTF8.self)
            if !["eXIf", "tEXt", "zTXt", "iTXt", "tIME"].contains(type) { out.append(contentsOf: b[i..<i + 12 + length]) }
            i += 12 + length
            if type == "IEND" { sawEnd = true; break }
        }
        return sawEnd ? Data(out) : nil
    }

    /// WebP: drop EXIF and XMP chunks and clear their flags in VP8X.
    static func webp(_ data: Data) -> Data? {
        let b = [UInt8](data)
        guard b.count >= 12 else { return nil }
        var chunks: [UInt8] = []
        var i = 12
        while i + 8 <= b.count {
            let type = String(decoding: b[i..<i + 4], as: UTF8.self)
            let size = Int(b[i + 4]) | Int(b[i + 5]) << 8 | Int(b[i + 6]) << 16 | Int(b[i + 7]) << 24
            let padded = size + (size & 1)
            guard i + 8 + size <= b.count else { return nil }
            var chunk = Array(b[i..<min(b.count, i + 8 + padded)])
            if type == "VP8X", chunk.count > 8 { chunk[8] &= ~(0x08 | 0x04) }   // EXIF and XMP flags
            if type != "EXIF", type != "XMP " { chunks.append(contentsOf: chunk) }
            i += 8 + padded
        }
        guard !chunks.isEmpty else { return nil }
        let total = UInt32(chunks.count + 4)
        var out = Array("RIFF".utf8)
        out += [UInt8(total & 0xFF), UInt8(total >> 8 & 0xFF), UInt8(total >> 16 & 0xFF), UInt8(total >> 24 & 0xFF)]
        out += Array("WEBP".utf8)
        out += chunks
        return Data(out)
    }
}
