import CityStewardCore
import CityStewardStore
import Foundation
import Vapor

/// Printable QR codes for places: every village, building and public facility has `/q/{placeCode}` (one poster)
/// and `/q/{placeCode}/qr.svg` (the symbol alone); `/q/{areaCode}/sheet` prints the codes of an area and
/// everything in it, several to a page. The symbol encodes `{public URL}/report?place={code}`.
struct QRPlacesController: RouteCollection {
    func boot(routes: any RoutesBuilder) throws {
        routes.get("q", ":code", use: poster)
        routes.get("q", ":code", "qr.svg", use: symbol)
        routes.get("q", ":code", "sheet", use: sheet)
    }

    struct Card: Encodable {
        var code: String
        var name: String
        var path: String
        var kind: String
        var url: String
        var svg: String
    }

    struct PosterPage: Encodable {
        var page: PageChrome
        var card: Card
        var emergency: [PortalController.Link]
    }

    struct SheetPage: Encodable {
        var page: PageChrome
        var title: String
        var cards: [Card]
    }

    static func reportURL(_ req: Request, code: String) -> String {
        PortalController.baseURL(req) + "/report?place=" + (code.addingPercentEncoding(withAllowedCharacters: .alphanumerics) ?? code)
    }

    func place(_ req: Request, _ reference: CaseReference) throws -> CaseReference.Place {
        let code = req.parameters.get("code") ?? ""
        guard let place = reference.place(code), Self.printable(place) else {
            throw DomainError.notFound(zh: "没有地点代码 \(code)（城中村、楼栋或公共设施）", en: "no village, building or facility has the code \(code)")
        }
        return place
    }

    /// Codes are posted where residents are: villages, buildings, facilities (and grids, for patrol points).
    static func printable(_ place: CaseReference.Place) -> Bool {
        switch place {
        case .facility: true
        case .area(let a): [.village, .grid, .building].contains(a.kind)
        }
    }

    static func kindLabel(_ place: CaseReference.Place, _ language: Language) -> String {
        switch place {
        case .facility: language == .en ? "Public facility" : "公共设施"
        case .area(let a): a.kind.label.text(language)
        }
    }

    func card(_ req: Request, _ place: CaseReference.Place, _ reference: CaseReference, moduleSize: Int) throws -> Card {
        let language = req.language
        let url = Self.reportURL(req, code: place.code)
        let view = PortalController.placeView(place, reference, language)
        let code = try QRCode.encode(url)
        return Card(code: place.code, name: view.name, path: view.path, kind: Self.kindLabel(place, language), url: url,
                    svg: code.svg(moduleSize: moduleSize, title: url))
    }

    @Sendable func poster(req: Request) async throws -> Response {
        let reference = try await req.caseReference()
        let place = try place(req, reference)
        let language = req.language
        let card = try card(req, place, reference, moduleSize: 8)
        let page = PosterPage(page: PageChrome(request: req, title: (language == .en ? "Scan to report · " : "扫码反映问题 · ") + card.name),
                              card: card, emergency: PortalController.emergencyNumbers(language))
        return try await req.page("portal/qr", page)
    }

    @Sendable func symbol(req: Request) async throws -> Response {
        let reference = try await req.caseReference()
        let place = try place(req, reference)
        let url = Self.reportURL(req, code: place.code)
        let response = Response(status: .ok, body: .init(string: try QRCode.encode(url).svg(moduleSize: 8, title: url)))
        response.headers.contentType = HTTPMediaType(type: "image", subType: "svg+xml", parameters: ["charset": "utf-8"])
        return response
    }

    @Sendable func sheet(req: Request) async throws -> Response {
        let reference = try await req.caseReference()
        let code = req.parameters.get("code") ?? ""
        guard let root = reference.areasByCode[code] else {
            throw DomainError.notFound(zh: "没有区域代码 \(code)", en: "no area has the code \(code)")
        }
        let language = req.language
        var places: [CaseReference.Place] = reference.areas.values
            .filter { ($0.kind == .village || $0.kind == .building) && $0.path.contains(root.id) }
            .sorted { $0.code < $1.code }.map { .area($0) }
        places += reference.facilities.values.filter { reference.areas[$0.areaID]?.path.contains(root.id) == true }
            .sorted { $0.code < $1.code }.compactMap { f in reference.areas[f.areaID].map { .facility(f, in: $0) } }
        places.sort { $0.code < $1.code }
        guard !places.isEmpty else {
            throw DomainError.notFound(zh: "\(root.name) 下没有可张贴二维码的地点", en: "\(root.displayName(language)) has no places to post codes at")
        }
        let cards = try places.map { try card(req, $0, reference, moduleSize: 4) }
        let title = (language == .en ? "QR codes · " : "二维码 · ") + root.displayName(language)
        let page = SheetPage(page: PageChrome(request: req, title: title), title: title, cards: cards)
        return try await req.page("portal/qrsheet", page)
    }
}
