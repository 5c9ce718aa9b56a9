import Foundation

/// The demo's catalog prices, one service contract per street office with pilot villages, and each village's
/// takeover mode (synthetic, plausible figures; not real contracts).
extension DemoDistrict {
    public static let prices: [CatalogPrice] = [
        CatalogPrice(matterCode: "M-SAN-01", unit: "m²", benchmarkFen: 85),
        CatalogPrice(matterCode: "M-FAC-01", unit: "项", benchmarkFen: 1_200_000),
        CatalogPrice(matterCode: "M-PAT-01", unit: "人", benchmarkFen: 650_000),
        CatalogPrice(matterCode: "M-PRO-01", unit: "m²", benchmarkFen: 150),
        CatalogPrice(matterCode: "M-CON-01", unit: "处", benchmarkFen: 300_000),
        CatalogPrice(matterCode: "M-WAT-01", unit: "项", benchmarkFen: 400_000),
    ]

    public static let contractStart = LocalDate(year: 2026, month: 1, day: 1)
    public static let contractEnd = LocalDate(year: 2028, month: 12, day: 31)

    /// The streets with pilot villages, each with its villages' codes.
    public static var streetsWithVillages: [(street: String, villages: [String])] {
        Dictionary(grouping: villageStreets, by: \.street).map { ($0.key, $0.value.map(\.village).sorted()) }.sorted { $0.street < $1.street }
    }

    public static func contractNumber(streetCode: String) -> String { "HT-\(streetCode)-2026-001" }

    public static func contractTerms(street: String, villages: [String]) -> ContractTerms {
        let name = streets.first { $0.code == street }?.name ?? street
        let n = villages.count
        return ContractTerms(
            title: "\(name)城中村“城市管家”服务合同", streetOffice: "\(name)办事处", steward: stewardCode, procurement: .singleSource, areas: villages,
            lines: [
                ContractLine(matterCode: "M-SAN-01", quantity: 20_000 * n, unit: "m²", unitPriceFen: 85, benchmarkPriceFen: 85, timeLimitHours: 24),
                ContractLine(matterCode: "M-FAC-01", quantity: n, unit: "项", unitPriceFen: 1_200_000, benchmarkPriceFen: 1_200_000, timeLimitHours: 48),
                ContractLine(matterCode: "M-PAT-01", quantity: 3 * n, unit: "人", unitPriceFen: 650_000, benchmarkPriceFen: 650_000),
            ],
            start: contractStart, end: contractEnd,
            rightsAndDuties: "甲方（街道办）按月结算服务费，监督考核服务质量；乙方（城市管家）按行业标准提供环境卫生保洁、公共设施维护、巡查劝导服务，接受甲方和委托部门监督。",
            breachLiability: "乙方未按时限办结案件或核查不通过的，按扣款规则扣减当期服务费；累计严重违约的，甲方可解除合同。",
            deductions: [
                DeductionRule(basis: .overdueCase, matterCode: nil, amountFen: 20_000, capFen: 500_000),
                DeductionRule(basis: .failedVerification, matterCode: nil, amountFen: 10_000, capFen: nil),
                DeductionRule(basis: .failedSpotCheck, matterCode: nil, amountFen: 5_000, capFen: 200_000),
            ],
            guaranteeText: "运营主体对“城市管家”的履约承担保证责任，未完成合同约定工作的，由其兜底完成。", guaranteeFen: 10_000_000,
            qualificationChecks: [
                QualificationCheck(item: "物业服务企业资质", passed: true, checker: "\(name)办事处", date: LocalDate(year: 2025, month: 12, day: 10), attachment: nil),
                QualificationCheck(item: "人员与设施设备配备", passed: true, checker: "区城管和综合执法局", date: LocalDate(year: 2025, month: 12, day: 12), attachment: nil),
            ],
            notice: PublicNotice(date: LocalDate(year: 2025, month: 12, day: 20), channel: "社区公告栏、i社区码上办",
                                 text: "自 2026 年 1 月 1 日起，本社区城中村公共区域由“城市管家”统一提供保洁、设施维护和巡查服务。"),
            performance: .example)
    }

    /// A takeover mode for each pilot village, all kinds represented.
    public static func takeover(villageIndex i: Int) -> VillageTakeover {
        let since = LocalDate(year: 2026, month: 1, day: 1)
        let modes: [TakeoverMode] = [.fullTakeover, .consulting, .newIntroduction, .merger, .menuCooperation, .restructuring]
        let mode = modes[i % modes.count]
        var contracts = [TakeoverContract(counterparty: .tenderer, kind: mode == .consulting ? .consulting : .propertyService,
                                          reference: "WY-2026-\(String(format: "%03d", i + 1))", signedOn: LocalDate(year: 2025, month: 12, day: 15), from: since, to: nil)]
        if mode.isCoexistence {
            contracts.append(TakeoverContract(counterparty: .formerCompany, kind: .cooperation, reference: "HZ-2026-\(String(format: "%03d", i + 1))",
                                              signedOn: LocalDate(year: 2025, month: 12, day: 18), from: since, to: nil))
        }
        return VillageTakeover(mode: mode, since: since, formerCompany: mode.isCoexistence ? "原物业管理有限公司（演示）" : nil, contracts: contracts, note: nil)
    }
}
