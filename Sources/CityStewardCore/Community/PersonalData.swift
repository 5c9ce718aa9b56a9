import Foundation

/// A resident identity number (公民身份号码, GB 11643-1999): 6-digit address code (GB/T 2260), birth date, 3-digit
/// sequence (odd = male, even = female) and an ISO 7064 MOD 11-2 check character. 15-digit legacy numbers
/// (GB 11643-1989: 2-digit year, no check character) are accepted and upgraded to 18 digits.
public struct IdentityNumber: Sendable, Hashable, CustomStringConvertible {
    /// Always the 18-character form, upper-case `X`.
    public let value: String

    static let weights = [7, 9, 10, 5, 8, 4, 2, 1, 6, 3, 7, 9, 10, 5, 8, 4, 2]
    static let checkCharacters: [Character] = ["1", "0", "X", "9", "8", "7", "6", "5", "4", "3", "2"]

    /// The check character for the first 17 digits.
    public static func checkCharacter(for first17: String) -> Character? {
        let digits = first17.compactMap { $0.wholeNumberValue }
        guard digits.count == 17, first17.allSatisfy({ $0.isASCII && $0.isNumber }) else { return nil }
        let sum = zip(digits, weights).map(*).reduce(0, +)
        return checkCharacters[sum % 11]
    }

    public enum Problem: Error, Sendable, Equatable {
        case length, characters, birthDate, checkCharacter

        public var message: LocalizedText {
            switch self {
            case .length: LocalizedText(zh: "身份证号应为 18 位（或旧版 15 位）", en: "an ID number has 18 characters (or 15 for the old format)")
            case .characters: LocalizedText(zh: "身份证号只能包含数字，最后一位可为 X", en: "an ID number is digits, with X allowed last")
            case .birthDate: LocalizedText(zh: "身份证号中的出生日期无效", en: "the birth date inside the ID number is not a real date")
            case .checkCharacter: LocalizedText(zh: "身份证号校验位不正确", en: "the ID number's check character is wrong")
            }
        }
    }

    public static func parse(_ text: String) -> Result<IdentityNumber, Problem> {
        let raw = text.trimmingCharacters(in: .whitespaces).uppercased()
        switch raw.count {
        case 18:
            let body = raw.prefix(17), last = raw.last!
            guard body.allSatisfy({ $0.isASCII && $0.isNumber }), last.isASCII, last.isNumber || last == "X" else { return .failure(.characters) }
            guard LocalDate(birthDateText(String(raw.dropFirst(6).prefix(8)))) != nil else { return .failure(.birthDate) }
            guard checkCharacter(for: String(body)) == last else { return .failure(.checkCharacter) }
            return .success(IdentityNumber(value: raw))
        case 15:
            guard raw.allSatisfy({ $0.isASCII && $0.isNumber }) else { return .failure(.characters) }
            let first17 = String(raw.prefix(6)) + "19" + String(raw.dropFirst(6))
            guard LocalDate(birthDateText(String(first17.dropFirst(6).prefix(8)))) != nil else { return .failure(.birthDate) }
            return .success(IdentityNumber(value: first17 + String(checkCharacter(for: first17)!)))
        default:
            return .failure(.length)
        }
    }

    private init(value: String) {
        self.value = value
    }

    static func birthDateText(_ yyyymmdd: String) -> String {
        "\(yyyymmdd.prefix(4))-\(yyyymmdd.dropFirst(4).prefix(2))-\(yyyymmdd.suffix(2))"
    }

    public var birthDate: LocalDate { LocalDate(Self.birthDateText(String(value.dropFirst(6).prefix(8))))! }

    public var addressCode: String { String(value.prefix(6)) }

    public var isMale: Bool { (value.dropFirst(16).first?.wholeNumberValue ?? 0) % 2 == 1 }

    /// Age in whole years on a date.
    public func age(on date: LocalDate) -> Int {
        let b = birthDate
        var years = date.year - b.year
        if (date.month, date.day) < (b.month, b.day) { years -= 1 }
        return years
    }

    public var description: String { Masking.identityNumber(value) }
}

/// Display masks for personal data (DB34/T 4631.2 and common practice; reference/domain-standards.md §8). A mask
/// keeps only the characters it names and never reveals the length of what it hides beyond the usual format.
public enum Masking {
    /// `440309********123X`: first 6 (the address code) and last 4.
    public static func identityNumber(_ value: String) -> String {
        let chars = Array(value)
        guard chars.count > 10 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(6)) + String(repeating: "*", count: chars.count - 10) + String(chars.suffix(4))
    }

    /// `138****8000`: first 3 and last 4 of a mainland mobile number; other numbers keep the last 4 only.
    public static func phone(_ value: String) -> String {
        let digits = value.filter { $0.isASCII && $0.isNumber }
        let national = digits.count == 13 && digits.hasPrefix("86") ? String(digits.dropFirst(2)) : digits
        if national.count == 11, national.hasPrefix("1") { return String(national.prefix(3)) + "****" + String(national.suffix(4)) }
        guard national.count > 4 else { return String(repeating: "*", count: national.count) }
        return String(repeating: "*", count: national.count - 4) + String(national.suffix(4))
    }

    /// Surname + `*` (compound surnames such as 欧阳 keep both characters); Latin names keep the first letter.
    public static func name(_ value: String) -> String {
        let trimmed = value.trimmingCharacters(in: .whitespaces)
        guard let first = trimmed.first else { return "" }
        if first.isASCII { return String(first) + "***" }
        let compound = compoundSurnames.first { trimmed.hasPrefix($0) && trimmed.count > $0.count }
        let surname = compound ?? String(first)
        return surname + String(repeating: "*", count: max(1, trimmed.count - surname.count))
    }

    /// `粤B***12`: province character and city letter, then the last 2.
    public static func plate(_ value: String) -> String {
        let chars = value.filter { $0 != " " && $0 != "·" }.map { $0 }
        guard chars.count > 4 else { return String(repeating: "*", count: chars.count) }
        return String(chars.prefix(2)) + String(repeating: "*", count: chars.count - 4) + String(chars.suffix(2))
    }

    static let compoundSurnames = ["欧阳", "司马", "上官", "诸葛", "东方", "皇甫", "尉迟", "公孙", "慕容", "令狐", "长孙", "宇文", "司徒", "夏侯", "轩辕", "端木", "南宫"]
}
