import Foundation

/// A resident's relation to the home (实有人口 registration).
public enum ResidentRole: String, Sendable, Codable, CaseIterable {
    case owner, tenant, family

    public var label: LocalizedText {
        switch self {
        case .owner: LocalizedText(zh: "业主", en: "Owner")
        case .tenant: LocalizedText(zh: "租户", en: "Tenant")
        case .family: LocalizedText(zh: "家庭成员", en: "Family member")
        }
    }

    /// Accepts the code or the Chinese word (CSV files from community workers use both).
    public static func parse(_ text: String) -> ResidentRole? {
        let t = text.trimmingCharacters(in: .whitespaces).lowercased()
        return ResidentRole(rawValue: t) ?? allCases.first { $0.label.zh == t || $0.label.en.lowercased() == t }
            ?? (t == "家属" ? .family : t == "承租人" ? .tenant : nil)
    }
}

/// The personal fields that are sealed at rest and masked in views.
public enum PersonalField: String, Sendable, Codable, CaseIterable {
    case name, idNumber, phone

    public var label: LocalizedText {
        switch self {
        case .name: LocalizedText(zh: "姓名", en: "Name")
        case .idNumber: LocalizedText(zh: "身份证号", en: "ID number")
        case .phone: LocalizedText(zh: "手机号", en: "Phone")
        }
    }

    public func mask(_ value: String) -> String {
        switch self {
        case .name: Masking.name(value)
        case .idNumber: Masking.identityNumber(value)
        case .phone: Masking.phone(value)
        }
    }
}

/// A resident as typed or imported, before anything is stored.
public struct ResidentInput: Sendable, Equatable {
    public var name: String
    public var idNumber: String
    public var phone: String
    public var role: String
    /// The building's area code (楼栋代码).
    public var building: String
    /// Unit / room, e.g. `2-301`.
    public var unit: String
    public var moveIn: String
    public var moveOut: String

    public init(name: String, idNumber: String, phone: String, role: String, building: String, unit: String, moveIn: String, moveOut: String = "") {
        self.name = name
        self.idNumber = idNumber
        self.phone = phone
        self.role = role
        self.building = building
        self.unit = unit
        self.moveIn = moveIn
        self.moveOut = moveOut
    }
}

/// A resident that passed every check: what the store seals and writes.
public struct ValidResident: Sendable, Equatable {
    public var name: String
    public var idNumber: IdentityNumber
    public var phone: PhoneNumber?
    public var role: ResidentRole
    public var building: String
    public var unit: String
    public var moveIn: LocalDate
    public var moveOut: LocalDate?
}

/// Several problems with one record (a `Result` failure needs an Error).
public struct FieldProblems: Error, Sendable, Equatable {
    public var problems: [FieldProblem]
}

public struct FieldProblem: Sendable, Equatable {
    public var field: String
    public var reason: LocalizedText

    public init(field: String, reason: LocalizedText) {
        self.field = field
        self.reason = reason
    }
}

public enum ResidentRules {
    public static let maxName = 30

    /// Every problem of one resident at once; `knownBuildings` are the building codes that exist.
    public static func validate(_ input: ResidentInput, knownBuildings: Set<String>) -> Result<ValidResident, FieldProblems> {
        var problems: [FieldProblem] = []
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.isEmpty {
            problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "缺少姓名", en: "the name is missing")))
        } else if name.count > maxName || name.unicodeScalars.contains(where: { ("0"..."9").contains($0) || ("０"..."９").contains($0) || $0 == "," || $0 == ";" }) {
            // Digits only as 0–9 (ASCII or full width): Character.isNumber also holds for 陆, a common surname.
            problems.append(FieldProblem(field: "name", reason: LocalizedText(zh: "姓名应为 1~\(maxName) 个字，不含数字", en: "a name has 1–\(maxName) characters and no digits")))
        }
        var id: IdentityNumber?
        switch IdentityNumber.parse(input.idNumber) {
        case .success(let parsed): id = parsed
        case .failure(let problem): problems.append(FieldProblem(field: "idNumber", reason: problem.message))
        }
        var phone: PhoneNumber?
        if !input.phone.trimmingCharacters(in: .whitespaces).isEmpty {
            phone = PhoneNumber.parse(input.phone)
            if phone == nil { problems.append(FieldProblem(field: "phone", reason: PhoneNumber.problem)) }
        }
        let role = ResidentRole.parse(input.role)
        if role == nil {
            problems.append(FieldProblem(field: "role", reason: LocalizedText(zh: "身份应为 业主/租户/家庭成员", en: "role is owner, tenant or family")))
        }
        let building = input.building.trimmingCharacters(in: .whitespaces)
        if !knownBuildings.contains(building) {
            problems.append(FieldProblem(field: "building", reason: LocalizedText(zh: "没有楼栋代码 \(building)", en: "no building has the code \(building)")))
        }
        let unit = input.unit.trimmingCharacters(in: .whitespaces)
        if unit.count > 20 {
            problems.append(FieldProblem(field: "unit", reason: LocalizedText(zh: "房号不超过 20 个字符", en: "a unit is at most 20 characters")))
        }
        let moveIn = LocalDate(input.moveIn.trimmingCharacters(in: .whitespaces))
        if moveIn == nil {
            problems.append(FieldProblem(field: "moveIn", reason: LocalizedText(zh: "入住日期应为 YYYY-MM-DD", en: "the move-in date must be YYYY-MM-DD")))
        }
        var moveOut: LocalDate?
        let outText = input.moveOut.trimmingCharacters(in: .whitespaces)
        if !outText.isEmpty {
            moveOut = LocalDate(outText)
            if moveOut == nil {
                problems.append(FieldProblem(field: "moveOut", reason: LocalizedText(zh: "迁出日期应为 YYYY-MM-DD", en: "the move-out date must be YYYY-MM-DD")))
            } else if let i = moveIn, let o = moveOut, o < i {
                problems.append(FieldProblem(field: "moveOut", reason: LocalizedText(zh: "迁出日期早于入住日期", en: "the move-out date is before the move-in date")))
            }
        }
        if let i = moveIn, let id, i < id.birthDate {
            problems.append(FieldProblem(field: "moveIn", reason: LocalizedText(zh: "入住日期早于出生日期", en: "the move-in date is before the birth date")))
        }
        guard problems.isEmpty, let id, let role, let moveIn else { return .failure(FieldProblems(problems: problems)) }
        return .success(ValidResident(name: name, idNumber: id, phone: phone, role: role, building: building, unit: unit, moveIn: moveIn, moveOut: moveOut))
    }
}

/// CSV files of residents (RFC 4180: quotes, doubled quotes, CRLF or LF, a UTF-8 BOM), with a header naming the
/// columns in Chinese or English.
public enum ResidentCSV {
    public static let columns: [(key: String, names: [String])] = [
        ("name", ["name", "姓名"]), ("idNumber", ["id_number", "idnumber", "身份证号", "公民身份号码"]), ("phone", ["phone", "手机号", "电话"]),
        ("role", ["role", "身份", "人员类别"]), ("building", ["building", "楼栋代码", "楼栋"]), ("unit", ["unit", "房号", "单元房号"]),
        ("moveIn", ["move_in", "movein", "入住日期"]), ("moveOut", ["move_out", "moveout", "迁出日期"]),
    ]

    public struct RowProblem: Sendable, Equatable {
        /// The line's number in the file, the header being line 1.
        public var row: Int
        public var field: String
        public var reason: LocalizedText

        public init(row: Int, field: String, reason: LocalizedText) {
            self.row = row
            self.field = field
            self.reason = reason
        }
    }

    public struct Parsed: Sendable {
        public var rows: [(row: Int, input: ResidentInput)]
        public var problems: [RowProblem]
    }

    /// Splits CSV text into records of fields.
    public static func records(_ text: String) -> [[String]] {
        var out: [[String]] = []
        var record: [String] = []
        var field = ""
        var quoted = false
        var chars = Array(text.hasPrefix("\u{FEFF}") ? String(text.dropFirst()) : text)
        chars.append("\n")
        var i = 0
        while i < chars.count {
            let c = chars[i]
            if quoted {
                if c == "\"" {
                    if i + 1 < chars.count, chars[i + 1] == "\"" { field.append("\""); i += 1 } else { quoted = false }
                } else {
                    field.append(c)
                }
            } else if c == "\"" && field.isEmpty {
                quoted = true
            } else if c == "," {
                record.append(field)
                field = ""
            } else if c == "\n" || c == "\r\n" || c == "\r" {
                record.append(field)
                field = ""
                if !(record.count == 1 && record[0].isEmpty) { out.append(record) }
                record = []
            } else {
                field.append(c)
            }
            i += 1
        }
        return out
    }

    /// Maps the header, reads every row and checks each against the rules.
    public static func parse(_ text: String, knownBuildings: Set<String>) -> (valid: [(row: Int, resident: ValidResident)], problems: [RowProblem]) {
        let all = records(text)
        guard let header = all.first else {
            return ([], [RowProblem(row: 1, field: "", reason: LocalizedText(zh: "文件是空的", en: "the file is empty"))])
        }
        var index: [String: Int] = [:]
        for (i, name) in header.enumerated() {
            let n = name.trimmingCharacters(in: .whitespaces).lowercased()
            if let column = columns.first(where: { $0.names.contains(n) }) { index[column.key] = i }
        }
        let missing = columns.filter { $0.key != "moveOut" && $0.key != "phone" && index[$0.key] == nil }
        if !missing.isEmpty {
            return ([], missing.map { RowProblem(row: 1, field: $0.key, reason: LocalizedText(
                zh: "表头缺少列 \($0.names.last!)（\($0.names.first!)）", en: "the header lacks the column \($0.names.first!) (\($0.names.last!))")) })
        }
        var valid: [(row: Int, resident: ValidResident)] = []
        var problems: [RowProblem] = []
        var seenIDs: [String: Int] = [:]
        for (offset, record) in all.dropFirst().enumerated() {
            let row = offset + 2
            func value(_ key: String) -> String { index[key].flatMap { $0 < record.count ? record[$0] : nil } ?? "" }
            let input = ResidentInput(name: value("name"), idNumber: value("idNumber"), phone: value("phone"), role: value("role"),
                                      building: value("building"), unit: value("unit"), moveIn: value("moveIn"), moveOut: value("moveOut"))
            switch ResidentRules.validate(input, knownBuildings: knownBuildings) {
            case .success(let r):
                if let first = seenIDs[r.idNumber.value] {
                    problems.append(RowProblem(row: row, field: "idNumber", reason: LocalizedText(zh: "与第 \(first) 行身份证号重复", en: "the same ID number as row \(first)")))
                } else {
                    seenIDs[r.idNumber.value] = row
                    valid.append((row, r))
                }
            case .failure(let list):
                problems += list.problems.map { RowProblem(row: row, field: $0.field, reason: $0.reason) }
            }
        }
        return (valid, problems)
    }
}
