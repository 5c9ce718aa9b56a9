import Foundation

/// Where a case came from (数字城管 sources: 监督员巡查, 公众举报, devices, peer systems).
public enum CaseSource: String, Sendable, Codable, CaseIterable {
    case patrol     // found on patrol by staff
    case resident   // a resident's report (portal, Open311)
    case device     // a device alert (AI camera, sensor)
    case api        // another system through the API
    case hotline    // 12345 transfer

    public var label: LocalizedText {
        switch self {
        case .patrol: LocalizedText(zh: "巡查发现", en: "Found on patrol")
        case .resident: LocalizedText(zh: "居民上报", en: "Resident report")
        case .device: LocalizedText(zh: "设备告警", en: "Device alert")
        case .api: LocalizedText(zh: "系统对接", en: "Partner system")
        case .hotline: LocalizedText(zh: "12345 转办", en: "12345 hotline")
        }
    }
}

/// The human reference of a case: `LH-2026-000123` (district prefix, year of the report, yearly sequence).
public enum CaseNumber {
    public static func format(year: Int, sequence: Int) -> String {
        let digits = String(sequence)
        return "LH-\(year)-" + String(repeating: "0", count: max(0, 6 - digits.count)) + digits
    }

    /// The year and sequence of a number made by `format`, or nil.
    public static func parse(_ number: String) -> (year: Int, sequence: Int)? {
        let parts = number.split(separator: "-")
        guard parts.count == 3, parts[0] == "LH", parts[1].count == 4, parts[2].count >= 6,
              let year = Int(parts[1]), let sequence = Int(parts[2]), sequence > 0 else { return nil }
        return (year, sequence)
    }

    /// The smallest and largest number of a sequence range, with the width their digits share: ranges of stored
    /// numbers are asked for by text, and text orders numbers correctly only among numbers of one width.
    public static func textRanges(year: Int, _ range: ClosedRange<Int>) -> [(from: String, to: String, length: Int)] {
        var out: [(from: String, to: String, length: Int)] = []
        var low = range.lowerBound
        while low <= range.upperBound {
            let width = max(6, String(low).count)
            let widest = Int(String(repeating: "9", count: width))!
            let high = min(range.upperBound, widest)
            let from = format(year: year, sequence: low)
            out.append((from, format(year: year, sequence: high), from.count))
            low = high + 1
        }
        return out
    }
}

/// Likely duplicates: same category, within `radiusMetres` and `window` of each other (issue 3: 50 m, 48 h).
public struct DuplicateRule: Sendable {
    public var radiusMetres: Double
    public var window: TimeInterval

    public init(radiusMetres: Double = 50, window: TimeInterval = 48 * 3600) {
        self.radiusMetres = radiusMetres
        self.window = window
    }

    public static let standard = DuplicateRule()

    public func isLikelyDuplicate(category a: String, at p: GeoPoint, reportedAt t: Date,
                                  of b: String, at q: GeoPoint, reportedAt u: Date) -> Bool {
        a == b && abs(t.timeIntervalSince(u)) <= window && p.distance(to: q) <= radiusMetres
    }
}

/// A report as it arrives on any channel, before anything is stored.
public struct CaseReport: Sendable {
    public var category: String?
    public var position: GeoPoint?
    public var placeCode: String?
    public var description: String?
    public var urgency: String?

    public init(category: String?, position: GeoPoint?, placeCode: String?, description: String?, urgency: String?) {
        self.category = category
        self.position = position
        self.placeCode = placeCode
        self.description = description
        self.urgency = urgency
    }

    /// Open311 allows 4000 characters (GeoReport v2 POST description).
    public static let maxDescription = 4000

    /// Every missing or malformed field at once (400 lists them all).
    public func problems() -> [(field: String, reason: LocalizedText)] {
        var out: [(String, LocalizedText)] = []
        if (category ?? "").isEmpty {
            out.append(("category", LocalizedText(zh: "缺少类别 category", en: "category is required")))
        }
        if position == nil, (placeCode ?? "").isEmpty {
            out.append(("lat", LocalizedText(zh: "缺少位置：lat/long 或 placeCode", en: "a position is required: lat and long, or placeCode")))
        }
        if let p = position, !(p.lat >= -90 && p.lat <= 90 && p.long >= -180 && p.long <= 180) {
            out.append(("lat", LocalizedText(zh: "坐标超出范围", en: "lat/long out of range")))
        }
        let text = (description ?? "").trimmedWhitespace
        if text.isEmpty {
            out.append(("description", LocalizedText(zh: "缺少问题描述 description", en: "description is required")))
        } else if text.count > Self.maxDescription {
            out.append(("description", LocalizedText(zh: "描述不能超过 \(Self.maxDescription) 字", en: "a description is at most \(Self.maxDescription) characters")))
        }
        if let u = urgency, Urgency(rawValue: u) == nil {
            out.append(("urgency", LocalizedText(zh: "urgency 应为 normal 或 urgent", en: "urgency must be normal or urgent")))
        }
        return out
    }

    /// Throws one 400 naming every problem.
    public func validate() throws(DomainError) {
        let problems = problems()
        guard !problems.isEmpty else { return }
        let fields = problems.map(\.field)
        throw .invalid(field: fields.joined(separator: ","), LocalizedText(
            zh: problems.map(\.reason.zh).joined(separator: "；"), en: problems.map(\.reason.en).joined(separator: "; ")))
    }
}
