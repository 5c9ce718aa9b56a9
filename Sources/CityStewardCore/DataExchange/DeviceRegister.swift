import Foundation

/// A device as someone asks to register it, as typed.
public struct DeviceRegistration: Sendable, Equatable {
    public var code: String
    public var kind: String
    public var name: String
    public var vendor: String
    /// The grid (or building) where it stands.
    public var areaCode: String
    /// WGS84; both empty: the area's centre.
    public var lat: String
    public var long: String
    /// The account whose key the device sends with (one that may send device events).
    public var keyHolder: String

    public init(code: String, kind: String, name: String, vendor: String, areaCode: String, lat: String = "", long: String = "", keyHolder: String) {
        self.code = code
        self.kind = kind
        self.name = name
        self.vendor = vendor
        self.areaCode = areaCode
        self.lat = lat
        self.long = long
        self.keyHolder = keyHolder
    }
}

/// A registration that may be stored.
public struct ValidDevice: Sendable, Equatable {
    public var code: String
    public var kind: DeviceKind
    public var name: String
    public var vendor: String
    public var area: Area
    public var position: GeoPoint

    public init(code: String, kind: DeviceKind, name: String, vendor: String, area: Area, position: GeoPoint) {
        self.code = code
        self.kind = kind
        self.name = name
        self.vendor = vendor
        self.area = area
        self.position = position
    }
}

public enum DeviceRules {
    public static let vendors = ["generic", "hikvision", "dahua", "uniview"]

    /// Every problem of one registration at once. `area` is the area its code names (nil: none in the caller's
    /// scope); `codeTaken` whether a device has the code already; `keyHolderMaySend` whether the named account
    /// exists, is active and may send device events.
    public static func validate(_ input: DeviceRegistration, area: Area?, codeTaken: Bool, keyHolderMaySend: Bool) -> Result<ValidDevice, FieldProblems> {
        var problems: [FieldProblem] = []
        func problem(_ field: String, _ zh: String, _ en: String) { problems.append(FieldProblem(field: field, reason: LocalizedText(zh: zh, en: en))) }
        let code = input.code.trimmingCharacters(in: .whitespaces).uppercased()
        if code.range(of: #"^[A-Z0-9][A-Z0-9-]{1,39}$"#, options: .regularExpression) == nil {
            problem("code", "设备编号应为 2~40 位字母、数字或连字符", "a device code is 2–40 letters, digits or hyphens")
        } else if codeTaken {
            problem("code", "编号 \(code) 已登记", "a device \(code) is registered already")
        }
        let kind = DeviceKind(rawValue: input.kind)
        if kind == nil { problem("kind", "请选择设备类型（门禁或摄像头）", "choose the kind (gate or camera)") }
        let name = input.name.trimmingCharacters(in: .whitespaces)
        if name.count > 60 { problem("name", "名称不超过 60 个字", "a name has at most 60 characters") }
        let vendor = input.vendor.isEmpty ? "generic" : input.vendor
        if !vendors.contains(vendor) { problem("vendor", "厂商应为 \(vendors.joined(separator: "、"))", "the vendor is one of \(vendors.joined(separator: ", "))") }
        var position: GeoPoint?
        if area == nil {
            problem("area", "没有编码为 \(input.areaCode) 的网格或楼栋", "no grid or building has the code \(input.areaCode)")
        } else if let area, ![.grid, .building].contains(area.kind) {
            problem("area", "设备登记在网格或楼栋", "a device stands in a grid or a building")
        }
        let lat = input.lat.trimmingCharacters(in: .whitespaces), long = input.long.trimmingCharacters(in: .whitespaces)
        if lat.isEmpty && long.isEmpty {
            position = area?.centre
        } else if let la = Double(lat), let lo = Double(long), (-90...90).contains(la), (-180...180).contains(lo) {
            position = GeoPoint(lat: la, long: lo)
            if let area, let shape = area.shape, shape.locate(GeoPoint(lat: la, long: lo)) == .outside {
                problem("position", "位置不在 \(area.name) 内", "the position is not inside \(area.name)")
            }
        } else {
            problem("position", "经纬度应为 WGS84 小数（如 22.62, 114.03）", "latitude and longitude are WGS84 decimals (e.g. 22.62, 114.03)")
        }
        if !keyHolderMaySend {
            problem("keyHolder", "账号 \(input.keyHolder) 不存在、已停用或不能上报设备事件", "the account \(input.keyHolder) does not exist, is disabled or may not send device events")
        }
        guard problems.isEmpty, let kind, let area, let position else { return .failure(FieldProblems(problems: problems)) }
        return .success(ValidDevice(code: code, kind: kind, name: name.isEmpty ? code : name, vendor: vendor, area: area, position: position))
    }
}

extension ExchangeAccess {
    /// Registering, retiring and re-keying devices: the district office anywhere; a street office and a steward's
    /// dispatch centre where they work. Nobody else, and nobody outside their areas (answered as missing).
    public static func mayManageDevices(_ actor: Actor, in area: Area) -> Bool {
        guard [.districtAdmin, .streetOfficer, .stewardDispatcher].contains(actor.role) else { return false }
        return AccessPolicy.areaScope(for: actor).includes(area)
    }

    /// Whether the actor manages devices anywhere (shows the register form).
    public static func managesDevices(_ actor: Actor) -> Bool {
        [.districtAdmin, .streetOfficer, .stewardDispatcher].contains(actor.role) && AccessPolicy.areaScope(for: actor) != .nothing
    }
}
