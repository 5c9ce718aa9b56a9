import Foundation

/// Synthetic residents for the demo: plausible names, ID numbers with valid GB 11643 check characters (addresses
/// from Longhua and the provinces many tenants come from), mainland mobile numbers, spread over the demo buildings.
/// Deterministic, so every demo has the same people. None of them is a real person.
public enum DemoResidents {
    static let surnames = Array("王李张刘陈杨黄赵吴周徐孙马朱胡郭何高林罗郑梁谢宋唐许韩冯邓曹彭曾肖田董袁潘蒋蔡余杜叶程苏魏吕丁任沈姚卢钟谭陆汪范金廖贾夏韦方邹熊邱江覃").map(String.init) + ["欧阳", "司马"]
    static let given = ["伟", "芳", "娜", "秀英", "敏", "静", "丽", "强", "磊", "军", "洋", "勇", "艳", "杰", "娟", "涛", "明", "超", "秀兰", "霞",
                        "平", "刚", "桂英", "华", "建国", "志强", "海燕", "晓东", "子涵", "浩然", "雨桐", "梓轩", "思远", "嘉怡", "俊杰", "欣怡"]
    /// GB/T 2260 county codes: 龙华区, 宝安区, and home counties of many tenants (湖南, 四川, 江西, 广西, 河南, 湖北, 广东).
    static let addressCodes = ["440309", "440309", "440306", "430102", "430521", "510104", "511502", "360102", "450102", "411102", "420106", "441302", "445202"]
    static let mobilePrefixes = ["138", "139", "135", "136", "137", "150", "151", "152", "158", "159", "186", "187", "188", "130", "131", "132",
                                 "155", "156", "185", "133", "153", "180", "181", "189", "177", "199"]

    /// A 64-bit linear congruential generator (Knuth's MMIX constants): reproducible everywhere.
    struct Generator {
        var state: UInt64
        mutating func next(_ n: Int) -> Int {
            state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return Int((state >> 33) % UInt64(n))
        }
    }

    public static func make(count: Int, buildings: [String], seed: UInt64 = 2026) -> [ResidentInput] {
        guard !buildings.isEmpty else { return [] }
        var g = Generator(state: seed)
        var out: [ResidentInput] = []
        var usedIDs = Set<String>()
        while out.count < count {
            let surname = surnames[g.next(surnames.count)]
            let name = surname + given[g.next(given.count)]
            let year = 1950 + g.next(58), month = 1 + g.next(12), day = 1 + g.next(28)
            let birth = LocalDate(year: year, month: month, day: day)
            let male = g.next(2) == 0
            let sequence = g.next(500) * 2 + (male ? 1 : 0)
            let first17 = addressCodes[g.next(addressCodes.count)] + birth.description.replacingOccurrences(of: "-", with: "")
                + String(format: "%03d", sequence)
            let id = first17 + String(IdentityNumber.checkCharacter(for: first17)!)
            guard usedIDs.insert(id).inserted else { continue }
            let phone = g.next(10) == 0 ? "" : mobilePrefixes[g.next(mobilePrefixes.count)] + String(format: "%08d", g.next(100_000_000))
            let r = g.next(20)
            let role = year > 2006 ? "family" : r < 4 ? "owner" : r < 17 ? "tenant" : "family"
            let earliest = max(2012, year + (role == "family" ? 0 : 18))
            let moveIn = LocalDate(year: min(2026, earliest + g.next(max(1, 2027 - earliest))), month: 1 + g.next(12), day: 1 + g.next(28))
            let moveOut = g.next(12) == 0 && moveIn.year < 2025 ? LocalDate(year: moveIn.year + 1, month: 1 + g.next(12), day: 1 + g.next(28)).description : ""
            out.append(ResidentInput(name: name, idNumber: id, phone: phone, role: role, building: buildings[g.next(buildings.count)],
                                     unit: "\(1 + g.next(6))-\(1 + g.next(8))0\(1 + g.next(4))", moveIn: moveIn.description, moveOut: moveOut))
        }
        return out
    }
}
