import Foundation

/// A public facility residents can point at (a garbage room, a public toilet, a street light, fitness equipment):
/// a place with its own QR code. Its `componentCode` is its national component class (部件, GB/T 47678.5); a report
/// made from its code starts with the matching matter class.
public struct Facility: Sendable, Hashable, Codable, Identifiable {
    public var id: UUID
    /// The grid's code + `F` + 2 digits, so the code alone says where the facility is.
    public var code: String
    public var name: String
    public var nameEn: String?
    public var componentCode: String
    /// The grid (or deepest area) the facility stands in.
    public var areaID: UUID
    public var position: GeoPoint

    public init(id: UUID, code: String, name: String, nameEn: String?, componentCode: String, areaID: UUID, position: GeoPoint) {
        self.id = id
        self.code = code
        self.name = name
        self.nameEn = nameEn
        self.componentCode = componentCode
        self.areaID = areaID
        self.position = position
    }

    public func displayName(_ language: Language) -> String { language == .en ? (nameEn ?? name) : name }

    public static func validate(code: String, gridCode: String) -> LocalizedText? {
        let tail = code.dropFirst(gridCode.count)
        guard code.hasPrefix(gridCode), tail.count == 3, tail.first == "F", tail.dropFirst().allSatisfy({ $0.isASCII && $0.isNumber }) else {
            return LocalizedText(zh: "设施代码应为 网格代码 + F + 2 位序号", en: "a facility code is the grid code + F + 2 digits")
        }
        return nil
    }

    /// A component's anomalies are filed under the matter class with the same code (部件 01037 路灯 → 01037 路灯异常).
    public var reportCategory: String { componentCode }
}
