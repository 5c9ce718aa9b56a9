import Foundation

/// The kinds of field that may leave the steward's zone, classified as GB/T 37964 does: direct identifiers
/// (name, ID number, phone, plate, person reference, face image), quasi-identifiers (time, position) and the rest.
public enum FieldKind: String, Sendable, Codable, CaseIterable {
    case name, idNumber, phone, plate, personRef, faceImage, time, position, other

    /// A direct identifier never leaves as it is.
    public var isDirectIdentifier: Bool { [.name, .idNumber, .phone, .plate, .personRef, .faceImage].contains(self) }

    public var label: LocalizedText {
        switch self {
        case .name: LocalizedText(zh: "姓名", en: "Name")
        case .idNumber: LocalizedText(zh: "身份证号", en: "ID number")
        case .phone: LocalizedText(zh: "手机号", en: "Phone")
        case .plate: LocalizedText(zh: "车牌号", en: "Plate")
        case .personRef: LocalizedText(zh: "人员编号", en: "Person reference")
        case .faceImage: LocalizedText(zh: "人脸图像", en: "Face image")
        case .time: LocalizedText(zh: "时间", en: "Time")
        case .position: LocalizedText(zh: "位置", en: "Position")
        case .other: LocalizedText(zh: "其他", en: "Other")
        }
    }
}

/// The technique families of GB/T 37964 (屏蔽/抑制, 假名化, 泛化) as configured per field.
public enum Technique: String, Sendable, Codable, CaseIterable {
    /// Unchanged (only for fields that identify nobody).
    case keep
    /// Masking as in views (`138****8000`, `粤B***12`).
    case mask
    /// A keyed pseudonym (HMAC with the consumer's own key): stable for one consumer, unlinkable across consumers.
    case pseudonym
    /// Time to the hour; position to the grid's code.
    case generalize
    /// An age band and sex from an ID number (the number itself is dropped).
    case ageBand
    /// Left out.
    case suppress

    public var label: LocalizedText {
        switch self {
        case .keep: LocalizedText(zh: "保留", en: "Keep")
        case .mask: LocalizedText(zh: "屏蔽", en: "Mask")
        case .pseudonym: LocalizedText(zh: "假名化", en: "Pseudonym")
        case .generalize: LocalizedText(zh: "泛化", en: "Generalize")
        case .ageBand: LocalizedText(zh: "年龄段", en: "Age band")
        case .suppress: LocalizedText(zh: "抑制", en: "Suppress")
        }
    }

    /// Which techniques fit which fields.
    public func applies(to kind: FieldKind) -> Bool {
        switch self {
        case .keep: !kind.isDirectIdentifier
        case .mask: [.name, .idNumber, .phone, .plate].contains(kind)
        case .pseudonym: [.name, .idNumber, .phone, .plate, .personRef].contains(kind)
        case .generalize: kind == .time || kind == .position
        case .ageBand: kind == .idNumber
        case .suppress: true
        }
    }
}

/// One consumer's rules, versioned: each change is a new version, and every feed answer names the version it used.
public struct DesensitizationRules: Sendable, Codable, Equatable {
    public var consumer: String
    public var version: Int
    public var rules: [FieldKind: Technique]

    public init(consumer: String, version: Int, rules: [FieldKind: Technique]) {
        self.consumer = consumer
        self.version = version
        self.rules = rules
    }

    /// The strict default: identifiers pseudonymized, ID numbers reduced to an age band, faces suppressed, time to
    /// the hour, position to the grid.
    public static func standard(consumer: String) -> DesensitizationRules {
        DesensitizationRules(consumer: consumer, version: 1, rules: [
            .name: .suppress, .idNumber: .ageBand, .phone: .pseudonym, .plate: .pseudonym, .personRef: .pseudonym,
            .faceImage: .suppress, .time: .generalize, .position: .generalize, .other: .keep,
        ])
    }

    /// The technique for a kind (a kind without a rule is suppressed: nothing leaves by omission).
    public func technique(for kind: FieldKind) -> Technique { rules[kind] ?? .suppress }

    public func problems() -> [FieldProblem] {
        rules.sorted { $0.key.rawValue < $1.key.rawValue }.compactMap { kind, technique in
            technique.applies(to: kind) ? nil : FieldProblem(field: kind.rawValue, reason: LocalizedText(
                zh: "\(kind.label.zh)不能用“\(technique.label.zh)”", en: "\(technique.label.en.lowercased()) does not apply to \(kind.label.en.lowercased())"))
        }
    }
}

/// Applies a consumer's rules to values. Pure: the keyed hash and the grid lookup are given by the caller.
public struct Desensitizer: Sendable {
    public let rules: DesensitizationRules
    /// HMAC of a value under the consumer's key, as hex.
    let pseudonymize: @Sendable (String) -> String
    let gridCode: @Sendable (GeoPoint) -> String?

    public init(rules: DesensitizationRules, pseudonymize: @escaping @Sendable (String) -> String,
                gridCode: @escaping @Sendable (GeoPoint) -> String?) {
        self.rules = rules
        self.pseudonymize = pseudonymize
        self.gridCode = gridCode
    }

    /// A text field; nil when suppressed.
    public func text(_ value: String?, _ kind: FieldKind, at time: Date? = nil) -> String? {
        guard let value, !value.isEmpty else { return nil }
        switch rules.technique(for: kind) {
        case .keep: return value
        case .suppress: return nil
        case .pseudonym:
            // Hex digits mapped to the letters a–p: a pseudonym never contains a run of digits a leak scanner (or
            // a reader) would take for a phone or ID number.
            let hex = pseudonymize(kind.rawValue + ":" + value).prefix(20)
            return "p_" + String(hex.map { c in Character(UnicodeScalar(UInt8(ascii: "a") + UInt8(c.hexDigitValue ?? 0))) })
        case .mask:
            switch kind {
            case .name: return Masking.name(value)
            case .idNumber: return Masking.identityNumber(value)
            case .phone: return Masking.phone(value)
            default: return Masking.plate(value)
            }
        case .ageBand:
            guard case .success(let id) = IdentityNumber.parse(value) else { return nil }
            // The age on the event's day in Beijing.
            let on = time.map(LocalDate.beijing) ?? id.birthDate
            let age = id.age(on: on)
            let low = age / 10 * 10
            return "\(low)-\(low + 9)/\(id.isMale ? "M" : "F")"
        case .generalize: return nil   // times and positions have their own functions
        }
    }

    /// A time: to the hour (Beijing) when generalized.
    public func time(_ date: Date) -> Date? {
        switch rules.technique(for: .time) {
        case .keep: return date
        case .generalize: return Date(timeIntervalSince1970: (date.timeIntervalSince1970 / 3600).rounded(.down) * 3600)
        default: return nil
        }
    }

    /// A position: the grid's code when generalized; exact only when kept.
    public func position(_ p: GeoPoint?) -> (point: GeoPoint?, grid: String?) {
        guard let p else { return (nil, nil) }
        switch rules.technique(for: .position) {
        case .keep: return (p, gridCode(p))
        case .generalize: return (nil, gridCode(p))
        default: return (nil, nil)
        }
    }
}
