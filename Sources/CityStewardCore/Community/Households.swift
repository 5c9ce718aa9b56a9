import Foundation

/// What a house (房屋) is used for.
public enum HouseUse: String, Sendable, Codable, CaseIterable {
    case residential, rental, commercial, mixed, vacant

    public var label: LocalizedText {
        switch self {
        case .residential: LocalizedText(zh: "自住", en: "Owner-occupied")
        case .rental: LocalizedText(zh: "出租", en: "Rented out")
        case .commercial: LocalizedText(zh: "商用", en: "Commercial")
        case .mixed: LocalizedText(zh: "商住混合", en: "Mixed")
        case .vacant: LocalizedText(zh: "空置", en: "Vacant")
        }
    }
}

/// An occupant's relation to the head of the household (与户主关系).
public enum HouseholdRelation: String, Sendable, Codable, CaseIterable {
    case head, spouse, child, parent, relative, other

    public var label: LocalizedText {
        switch self {
        case .head: LocalizedText(zh: "户主", en: "Head")
        case .spouse: LocalizedText(zh: "配偶", en: "Spouse")
        case .child: LocalizedText(zh: "子女", en: "Child")
        case .parent: LocalizedText(zh: "父母", en: "Parent")
        case .relative: LocalizedText(zh: "其他亲属", en: "Other relative")
        case .other: LocalizedText(zh: "非亲属", en: "Not related")
        }
    }
}

/// How a person lives here (实有人口分类): registered here, a temporary resident with a residence permit, or floating.
public enum ResidenceStatus: String, Sendable, Codable, CaseIterable {
    case registered, temporary, floating

    public var label: LocalizedText {
        switch self {
        case .registered: LocalizedText(zh: "户籍人口", en: "Registered")
        case .temporary: LocalizedText(zh: "暂住人口", en: "Temporary (residence permit)")
        case .floating: LocalizedText(zh: "流动人口", en: "Floating")
        }
    }
}

/// A house as typed: its building, door, standard address code, use, rooms and floor area.
public struct HouseInput: Sendable, Equatable {
    public var building: String
    public var unit: String
    public var addressCode: String
    public var use: String
    public var rooms: String
    public var floorArea: String

    public init(building: String, unit: String, addressCode: String, use: String, rooms: String, floorArea: String) {
        (self.building, self.unit, self.addressCode, self.use, self.rooms, self.floorArea) = (building, unit, addressCode, use, rooms, floorArea)
    }
}

/// A house that passed every check.
public struct HouseTerms: Sendable, Equatable, Codable {
    public var building: String
    public var unit: String
    public var addressCode: String?
    public var use: HouseUse
    public var rooms: Int?
    /// Square metres, to the hundredth.
    public var floorArea: Double?

    public init(building: String, unit: String, addressCode: String?, use: HouseUse, rooms: Int?, floorArea: Double?) {
        (self.building, self.unit, self.addressCode, self.use, self.rooms, self.floorArea) = (building, unit, addressCode, use, rooms, floorArea)
    }
}

/// A change to a registered resident: what a community worker corrects or records (the sealed name and ID number are
/// not edited: a wrong one is a new registration).
public struct ResidentChange: Sendable, Equatable {
    public var phone: String?
    public var role: String?
    public var relation: String?
    public var residence: String?
    public var unit: String?
    /// A move-out date: the person stays on record as moved out.
    public var moveOut: String?

    public init(phone: String? = nil, role: String? = nil, relation: String? = nil, residence: String? = nil, unit: String? = nil, moveOut: String? = nil) {
        (self.phone, self.role, self.relation, self.residence, self.unit, self.moveOut) = (phone, role, relation, residence, unit, moveOut)
    }
}

/// A resident's change as checked: each part present only when it changes something.
public struct ValidResidentChange: Sendable, Equatable {
    /// `.some(nil)`: the phone is cleared.
    public var phone: PhoneNumber??
    public var role: ResidentRole?
    public var relation: HouseholdRelation?
    public var residence: ResidenceStatus?
    public var unit: String?
    public var moveOut: LocalDate?

    public init() {}
}

public enum HouseholdRules {
    /// Every problem of a house at once; `knownBuildings` are the building codes in the caller's scope, `unitTaken` whether
    /// the building already has a house with that door.
    public static func validate(_ input: HouseInput, knownBuildings: Set<String>, unitTaken: Bool) -> Result<HouseTerms, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let building = input.building.trimmingCharacters(in: .whitespaces)
        if !knownBuildings.contains(building) { problem("building", "没有楼栋代码 \(building)", "no building has the code \(building)") }
        let unit = input.unit.trimmingCharacters(in: .whitespaces)
        if unit.isEmpty || unit.count > 20 {
            problem("unit", "请填写房号（不超过 20 个字符，如 2-301）", "give the door (at most 20 characters, e.g. 2-301)")
        } else if unitTaken {
            problem("unit", "该楼栋已有房号 \(unit)", "the building already has \(unit)")
        }
        let address = input.addressCode.trimmingCharacters(in: .whitespaces)
        if address.count > 40 || address.unicodeScalars.contains(where: { !($0.isASCII && ($0.properties.isAlphabetic || ("0"..."9").contains($0) || $0 == "-")) }) {
            problem("addressCode", "标准地址编码为不超过 40 位的字母、数字或连字符", "the standard address code is at most 40 letters, digits or hyphens")
        }
        let use = HouseUse(rawValue: input.use)
        if use == nil { problem("use", "请选择房屋用途", "choose what the house is used for") }
        var rooms: Int?
        let roomsText = input.rooms.trimmingCharacters(in: .whitespaces)
        if !roomsText.isEmpty {
            if let n = Int(roomsText), (1...99).contains(n) { rooms = n } else { problem("rooms", "间数为 1~99 的整数", "rooms is a whole number from 1 to 99") }
        }
        var area: Double?
        let areaText = input.floorArea.trimmingCharacters(in: .whitespaces)
        if !areaText.isEmpty {
            if let a = Double(areaText), a > 0, a < 100_000, a.isFinite { area = (a * 100).rounded() / 100 } else {
                problem("floorArea", "面积为正数（平方米，最多两位小数）", "the floor area is a positive number of square metres")
            }
        }
        guard problems.isEmpty, let use else { return .failure(FieldProblems(problems)) }
        return .success(HouseTerms(building: building, unit: unit, addressCode: address.isEmpty ? nil : address, use: use, rooms: rooms, floorArea: area))
    }

    /// A change of a resident, every problem at once. `moveIn` is the resident's move-in date (a move-out cannot
    /// precede it); `movedOut` whether they already left (then nothing but the record's reading is allowed).
    public static func validate(_ change: ResidentChange, moveIn: LocalDate?, movedOut: Bool, today: LocalDate) -> Result<ValidResidentChange, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        if movedOut {
            return .failure(FieldProblems([FieldProblem(field: "form", reason: LocalizedText(zh: "该居民已迁出，记录只读", en: "this resident has moved out; the record is kept as it is"))]))
        }
        var out = ValidResidentChange()
        if let text = change.phone {
            let t = text.trimmingCharacters(in: .whitespaces)
            if t.isEmpty { out.phone = .some(nil) } else if let p = PhoneNumber.parse(t) { out.phone = .some(p) } else {
                problems.append(FieldProblem(field: "phone", reason: PhoneNumber.problem))
            }
        }
        if let text = change.role, !text.isEmpty {
            if let r = ResidentRole.parse(text) { out.role = r } else { problem("role", "身份应为 业主/租户/家庭成员", "role is owner, tenant or family") }
        }
        if let text = change.relation, !text.isEmpty {
            if let r = HouseholdRelation(rawValue: text) { out.relation = r } else { problem("relation", "请选择与户主关系", "choose the relation to the head") }
        }
        if let text = change.residence, !text.isEmpty {
            if let r = ResidenceStatus(rawValue: text) { out.residence = r } else { problem("residence", "请选择人口类别", "choose how the person lives here") }
        }
        if let text = change.unit {
            let u = text.trimmingCharacters(in: .whitespaces)
            if u.count > 20 { problem("unit", "房号不超过 20 个字符", "a unit is at most 20 characters") } else { out.unit = u }
        }
        if let text = change.moveOut?.trimmingCharacters(in: .whitespaces), !text.isEmpty {
            if let d = LocalDate(text) {
                if let i = moveIn, d < i { problem("moveOut", "迁出日期早于入住日期", "the move-out date is before the move-in date") }
                else if d > today { problem("moveOut", "迁出日期不能晚于今天", "the move-out date cannot be after today") }
                else { out.moveOut = d }
            } else {
                problem("moveOut", "迁出日期应为 YYYY-MM-DD", "the move-out date must be YYYY-MM-DD")
            }
        }
        return problems.isEmpty ? .success(out) : .failure(FieldProblems(problems))
    }
}

/// Who registers houses and residents: the street office and the steward's dispatcher, in their areas (the lookups
/// are scoped); others read the register masked, or not at all.
public enum HouseholdAccess {
    public static func mayManage(_ actor: Actor) -> Bool { actor.can(.residentsManage) }
}
