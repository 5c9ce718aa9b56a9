import Foundation

/// The levels of the area tree: district → street → community → village → grid → building.
public enum AreaKind: String, Sendable, Codable, CaseIterable, Comparable {
    case district, street, community, village, grid, building

    public var depth: Int { Self.allCases.firstIndex(of: self)! }

    public static func < (lhs: AreaKind, rhs: AreaKind) -> Bool { lhs.depth < rhs.depth }

    /// The kinds an area of this kind may contain. A community may hold villages or, where there is no village,
    /// grids directly.
    public var allowedChildren: [AreaKind] {
        switch self {
        case .district: [.street]
        case .street: [.community]
        case .community: [.village, .grid]
        case .village: [.grid]
        case .grid: [.building]
        case .building: []
        }
    }

    /// The kind a child gets when an import does not say.
    public var defaultChild: AreaKind? { allowedChildren.first }

    public var label: LocalizedText {
        switch self {
        case .district: LocalizedText(zh: "区", en: "District")
        case .street: LocalizedText(zh: "街道", en: "Street")
        case .community: LocalizedText(zh: "社区", en: "Community")
        case .village: LocalizedText(zh: "城中村", en: "Village")
        case .grid: LocalizedText(zh: "网格", en: "Grid")
        case .building: LocalizedText(zh: "楼栋", en: "Building")
        }
    }
}

/// One managed territory. `path` lists the ids from the district down to this area, so scope checks and
/// subtree queries need no recursion; `streetID` is the scoping and partition key (DESIGN §4).
public struct Area: Sendable, Hashable, Codable, Identifiable {
    public var id: UUID
    public var kind: AreaKind
    public var code: String
    public var name: String
    public var nameEn: String?
    public var parentID: UUID?
    public var streetID: UUID?
    public var path: [UUID]
    public var shape: AreaShape?
    /// The position shown for the area (label point of its shape, or a given centre when it has no shape).
    public var centre: GeoPoint?

    public init(id: UUID, kind: AreaKind, code: String, name: String, nameEn: String? = nil, parentID: UUID?,
                streetID: UUID?, path: [UUID], shape: AreaShape?, centre: GeoPoint?) {
        self.id = id
        self.kind = kind
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.parentID = parentID
        self.streetID = streetID
        self.path = path
        self.shape = shape
        self.centre = centre
    }

    public func displayName(_ language: Language) -> String {
        language == .en ? (nameEn ?? name) : name
    }

    /// Whether `other` is this area or lies below it.
    public func isAncestorOrSelf(of other: Area) -> Bool { other.path.contains(id) }

    /// The materialised path as stored: "/id/id/…/id/". Prefix queries find a subtree.
    public static func encodePath(_ ids: [UUID]) -> String {
        "/" + ids.map { $0.text(uppercase: false) }.joined(separator: "/") + "/"
    }

    public static func decodePath(_ text: String) -> [UUID] {
        text.split(separator: "/").compactMap { UUID(uuidString: String($0)) }
    }
}

/// Area codes follow the national structure (GB/T 2260, NBS 统计用区划代码, GB/T 30428.1 / GB/T 47678.3 grids):
/// district 6 digits; street 9 (district + 3); community 12 (street + 3); grid 15 (community + 3-digit sequence,
/// numbered west→east, north→south). Villages and buildings have no national code; we extend the parent's code:
/// village = community + `V` + 2 digits, building = grid + `B` + 2–3 digits. Every code starts with its parent's
/// national prefix, so a code alone tells where a place is.
public enum AreaCode {
    public static func validate(_ code: String, kind: AreaKind, parentCode: String?) -> LocalizedText? {
        let digits = { (s: Substring) in !s.isEmpty && s.allSatisfy { $0.isASCII && $0.isNumber } }
        let c = Substring(code)
        switch kind {
        case .district:
            guard code.count == 6, digits(c) else {
                return LocalizedText(zh: "区代码应为 6 位数字（GB/T 2260）", en: "a district code is 6 digits (GB/T 2260)")
            }
        case .street:
            guard code.count == 9, digits(c) else {
                return LocalizedText(zh: "街道代码应为 9 位数字", en: "a street code is 9 digits")
            }
        case .community:
            guard code.count == 12, digits(c) else {
                return LocalizedText(zh: "社区代码应为 12 位数字", en: "a community code is 12 digits")
            }
        case .village:
            guard code.count == 15, digits(c.prefix(12)), c.dropFirst(12).first == "V", digits(c.suffix(2)) else {
                return LocalizedText(zh: "城中村代码应为 社区代码 + V + 2 位序号", en: "a village code is the community code + V + 2 digits")
            }
        case .grid:
            guard code.count == 15, digits(c) else {
                return LocalizedText(zh: "网格代码应为 15 位数字（社区代码 + 3 位网格序号）",
                                     en: "a grid code is 15 digits (community code + 3-digit sequence)")
            }
        case .building:
            let tail = c.dropFirst(15)
            guard code.count >= 18, code.count <= 19, digits(c.prefix(15)), tail.first == "B", digits(tail.dropFirst()) else {
                return LocalizedText(zh: "楼栋代码应为 网格代码 + B + 2~3 位序号", en: "a building code is the grid code + B + 2–3 digits")
            }
        }
        if let parentCode {
            let required = nationalPrefix(of: parentCode)
            guard code.hasPrefix(required), code != parentCode else {
                return LocalizedText(zh: "代码 \(code) 不在上级代码 \(parentCode) 之下", en: "code \(code) does not extend its parent's code \(parentCode)")
            }
        }
        return nil
    }

    /// The part of a code that children must start with: villages pass on their community's 12 digits
    /// (grid codes are community-based), everything else its whole code.
    public static func nationalPrefix(of code: String) -> String {
        if code.count == 15, code.dropFirst(12).first == "V" { return String(code.prefix(12)) }
        return code
    }
}
