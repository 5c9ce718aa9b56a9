@testable import CityStewardApp
import CityStewardCore
import CityStewardStore
import CityStewardTestSupport
import Foundation
#if canImport(FoundationXML)
import FoundationXML
#endif
import SQLKit
import Testing
import VaporTesting

/// An XML element as parsed by Foundation's XMLParser (so every answer is also checked to be well-formed XML).
final class XMLNode: @unchecked Sendable {
    let name: String
    var children: [XMLNode] = []
    var text = ""

    init(name: String) { self.name = name }

    func first(_ name: String) -> XMLNode? { children.first { $0.name == name } }
    func all(_ name: String) -> [XMLNode] { children.filter { $0.name == name } }
    subscript(_ name: String) -> String? { first(name)?.text }

    static func parse(_ text: String) -> XMLNode? {
        let delegate = Builder()
        let parser = XMLParser(data: Data(text.utf8))
        parser.delegate = delegate
        guard parser.parse() else { return nil }
        return delegate.root
    }

    final class Builder: NSObject, XMLParserDelegate {
        var stack: [XMLNode] = []
        var root: XMLNode?

        func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]) {
            let node = XMLNode(name: name)
            stack.last?.children.append(node)
            if stack.isEmpty { root = node }
            stack.append(node)
        }

        func parser(_ parser: XMLParser, foundCharacters string: String) { stack.last?.text += string }
        func parser(_ parser: XMLParser, didEndElement name: String, namespaceURI: String?, qualifiedName: String?) { stack.removeLast() }
    }
}

func jsonArray(_ reply: Reply) -> [[String: Any]] {
    (try? JSONSerialization.jsonObject(with: Data(reply.text.utf8))) as? [[String: Any]] ?? []
}

func open311(_ app: Application, _ method: HTTPMethod, _ path: String, form: [String: String]? = nil) async throws -> Reply {
    try await send(app, method, "/open311/v2/" + path, form: form)
}

/// The demo's setting: anonymous public posting on.
func withOpen311App(anonymous: Bool = true, _ body: (Application) async throws -> Void) async throws {
    try await withTestApp({ $0.open311Anonymous = anonymous }, body)
}

@Suite("Open311 GeoReport v2")
struct Open311Tests {
    @Test func discoveryAndServicesInBothFormats() async throws {
        try await withOpen311App { app in
            let xml = try await open311(app, .GET, "discovery.xml")
            #expect(xml.status == .ok && xml.headers.contentType?.description.hasPrefix("text/xml") == true)
            #expect(xml.text.hasPrefix("<?xml version=\"1.0\" encoding=\"utf-8\"?>"))
            let discovery = try #require(XMLNode.parse(xml.text))
            #expect(discovery.name == "discovery")
            let endpoint = try #require(discovery.first("endpoints")?.first("endpoint"))
            #expect(endpoint["specification"] == "http://wiki.open311.org/GeoReport_v2" && endpoint["url"]?.hasSuffix("/open311/v2") == true)
            #expect(endpoint.first("formats")?.all("format").map(\.text) == ["text/xml", "application/json"])
            let json = try await open311(app, .GET, "discovery.json")
            #expect((json.json["endpoints"] as? [[String: Any]])?.first?["type"] as? String == "production")

            // services.json is a bare array; services.xml has <services><service>…
            let services = try await open311(app, .GET, "services.json")
            #expect(services.headers.contentType?.description.hasPrefix("application/json") == true)
            let list = jsonArray(services)
            #expect(list.count == 250)
            let garbage = try #require(list.first { $0["service_code"] as? String == "06010" })
            #expect(garbage["service_name"] as? String == "暴露垃圾" && garbage["metadata"] as? Bool == true && garbage["type"] as? String == "realtime")
            #expect(garbage["group"] as? String == "垃圾与环境卫生" && (garbage["keywords"] as? String)?.contains("垃圾没人清") == true)
            #expect((garbage["description"] as? String)?.contains("4 个工作时") == true)
            let servicesXML = try #require(XMLNode.parse(try await open311(app, .GET, "services.xml").text))
            #expect(servicesXML.name == "services" && servicesXML.all("service").count == 250)
            #expect(servicesXML.all("service").first { $0["service_code"] == "06010" }?["metadata"] == "true")
            let english = jsonArray(try await send(app, .GET, "/open311/v2/services.json?lang=en"))
            #expect(english.first { $0["service_code"] as? String == "06010" }?["service_name"] as? String == "Exposed garbage")

            // A service definition is an object (not an array) with its attributes.
            let definition = try await open311(app, .GET, "services/06010.json")
            #expect(definition.json["service_code"] as? String == "06010")
            let attribute = try #require((definition.json["attributes"] as? [[String: Any]])?.first)
            #expect(attribute["code"] as? String == "urgency" && attribute["datatype"] as? String == "singlevaluelist" && attribute["order"] as? Int == 1)
            #expect((attribute["values"] as? [[String: Any]])?.compactMap { $0["key"] as? String } == ["normal", "urgent"])
            let definitionXML = try #require(XMLNode.parse(try await open311(app, .GET, "services/06010.xml").text))
            #expect(definitionXML.name == "service_definition" && definitionXML.first("attributes")?.first("attribute")?.first("values")?.all("value").count == 2)

            // Errors: an unknown service 404, an unknown format or resource 404, in the asked format.
            let unknown = try await open311(app, .GET, "services/99999.xml")
            #expect(unknown.status == .notFound)
            let error = try #require(XMLNode.parse(unknown.text))
            #expect(error.name == "errors" && error.first("error")?["code"] == "404" && error.first("error")?["description"]?.contains("99999") == true)
            let unknownJSON = try await open311(app, .GET, "services/99999.json")
            #expect(unknownJSON.status == .notFound && jsonArray(unknownJSON).first?["code"] as? Int == 404)
            #expect(try await open311(app, .GET, "services.html").status == .notFound)
            #expect(try await open311(app, .GET, "widgets.json").status == .notFound)
            #expect(try await open311(app, .GET, "a/b/c.xml").status == .notFound)
            // One jurisdiction: leaving it out or naming it works; another is 404.
            #expect(try await send(app, .GET, "/open311/v2/services.xml?jurisdiction_id=440309").status == .ok)
            #expect(try await send(app, .GET, "/open311/v2/services.xml?jurisdiction_id=sfgov.org").status == .notFound)
        }
    }

    @Test func postAndReadBackWithTheResponsiblePartyAndDeadline() async throws {
        try await withOpen311App { app in
            let p = try await gridCentre(app, songziyuan, 2)
            // A FixMyStreet-style POST: form-encoded, XML answer.
            let posted = try await open311(app, .POST, "requests.xml", form: [
                "service_code": "06010", "lat": String(p.lat), "long": String(p.long), "description": "巷口垃圾堆积",
                "first_name": "明", "last_name": "李", "phone": "13912345678", "attribute[fixmystreet_id]": "4711",
            ])
            #expect(posted.status == .ok, "\(posted.text)")
            let answer = try #require(XMLNode.parse(posted.text))
            #expect(answer.name == "service_requests")
            let request = try #require(answer.first("request"))
            let id = try #require(request["service_request_id"])
            #expect(request.first("token") == nil, "realtime services answer with an id, never both")
            #expect(request["service_notice"]?.contains("龙华城市管家运营有限公司（演示）") == true)
            // A retry with the same sender id answers with the same request.
            let retry = try await open311(app, .POST, "requests.json", form: [
                "service_code": "06010", "lat": String(p.lat), "long": String(p.long), "description": "巷口垃圾堆积", "attribute[fixmystreet_id]": "4711",
            ])
            #expect(jsonArray(retry).first?["service_request_id"] as? String == id)
            #expect(try await caseCount(app) == 1)

            // Read it back in both formats.
            let row = try await CaseStore(db: app.db).find(number: id, scope: nil)
            #expect(row.source == "resident" && row.reporterName == "李明")
            let one = try await open311(app, .GET, "requests/\(id).json")
            let record = try #require(jsonArray(one).first)
            #expect(record["service_request_id"] as? String == id && record["status"] as? String == "open")
            #expect(record["agency_responsible"] as? String == "龙华城市管家运营有限公司（演示）")
            #expect(record["expected_datetime"] as? String == Open311Projection.datetime(row.deadline))
            #expect((record["expected_datetime"] as? String)?.hasSuffix("+08:00") == true)
            #expect(record["requested_datetime"] as? String == Open311Projection.datetime(row.reportedAt))
            #expect(record["service_code"] as? String == "06010" && record["service_name"] as? String == "暴露垃圾")
            #expect(abs((record["lat"] as? Double ?? 0) - p.lat) < 1e-6 && abs((record["long"] as? Double ?? 0) - p.long) < 1e-6)
            #expect((record["address"] as? String)?.contains("松仔园村") == true)
            let oneXML = try #require(XMLNode.parse(try await open311(app, .GET, "requests/\(id).xml").text))
            #expect(oneXML.name == "service_requests" && oneXML.first("request")?["agency_responsible"] == "龙华城市管家运营有限公司（演示）")
            #expect(try await open311(app, .GET, "requests/LH-2026-999999.xml").status == .notFound)

            // The phone was kept (sealed) for follow-up, and the case appears in the resident's search.
            #expect(try await verifiedFind(app, phone: "13912345678").text.contains(id))

            // address_id (a place code) locates a request without coordinates; GCJ-02 positions are converted.
            let byPlace = try await open311(app, .POST, "requests.json", form: ["service_code": "03004", "address_id": garbageRoom.code])
            #expect(byPlace.status == .ok, "\(byPlace.text)")
            let placed = try await CaseStore(db: app.db).find(number: try #require(jsonArray(byPlace).first?["service_request_id"] as? String), scope: nil)
            #expect(placed.lat == garbageRoom.position.lat && placed.placeCode == garbageRoom.code && placed.description == "垃圾间（楼）异常")
            let gcj = ChinaCoordinates.wgs84ToGCJ02(p)
            let converted = try await open311(app, .POST, "requests.json", form: [
                "service_code": "06012", "lat": String(gcj.lat), "long": String(gcj.long), "crs": "gcj02", "description": "高德坐标",
            ])
            #expect(converted.status == .ok, "\(converted.text)")
            let convertedRow = try await CaseStore(db: app.db).find(number: try #require(jsonArray(converted).first?["service_request_id"] as? String), scope: nil)
            #expect(GeoPoint(lat: convertedRow.lat, long: convertedRow.long).distance(to: p) < 1)
        }
    }

    /// Contact numbers as people write them: a Shenzhen landline in international form, a number abroad, one
    /// with an extension; a number nobody can read is kept sealed as written and flagged, never a reason to refuse.
    @Test func contactNumbersAsPeopleWriteThem() async throws {
        try await withOpen311App { app in
            let p = try await gridCentre(app, songziyuan, 3)
            func post(_ phone: String, _ text: String) async throws -> CaseRow {
                let posted = try await open311(app, .POST, "requests.json", form: [
                    "service_code": "06010", "lat": String(p.lat), "long": String(p.long), "description": text, "phone": phone,
                ])
                #expect(posted.status == .ok, "\(phone): \(posted.text)")
                return try await CaseStore(db: app.db).find(number: try #require(jsonArray(posted).first?["service_request_id"] as? String), scope: nil)
            }
            let cipher = app.fieldCipher
            for (written, sealed, masked) in [("+86 755 2345 6789", "+8675523456789", "075*****6789"), ("+852 2345 6789", "+85223456789", "+852****6789"),
                                              ("0755-2345 6789 转 123", "+8675523456789;ext=123", "075*****6789")] {
                let row = try await post(written, "电话 \(written)")
                let kept = try #require(try await ResidentReportStore(db: app.db).find(caseID: row.id))
                #expect(try cipher.open(try #require(kept.phoneSealed)) == sealed, "\(written)")
                #expect(kept.phoneMasked == masked && kept.phoneIndex == cipher.blindIndex(sealed.components(separatedBy: ";")[0]), "\(written)")
                #expect(try await CaseStore(db: app.db).events(of: row.id).first?.detail?.contains("unreadable") != true)
            }
            // Unreadable: stored, sealed as written, found by no search, and the dispatch centre is told.
            let row = try await post("找物业王师傅", "电话写错了")
            let kept = try #require(try await ResidentReportStore(db: app.db).find(caseID: row.id))
            #expect(try cipher.open(try #require(kept.phoneSealed)) == "找物业王师傅" && kept.phoneIndex == nil && kept.phoneMasked == "找物**师傅 (?)")
            #expect(try await CaseStore(db: app.db).events(of: row.id).first?.detail?.contains("\"contact\":\"unreadable\"") == true)
            let sql = app.db as! any SQLDatabase
            let kinds = try await sql.select().column("kind").from("notifications").where("case_id", .equal, row.id).all(decodingColumn: "kind", as: String.self)
            #expect(kinds.contains("contactUnreadable") && kinds.contains("reported"))
            // A number kept before numbers were E.164 (national digits) is still found by its owner, written either way.
            let legacy = try await post("13912345678", "旧号码")
            try await sql.update("resident_reports").set("phone_index", to: cipher.blindIndex("13912345678"))
                .where("case_id", .equal, legacy.id).run()
            #expect(try await verifiedFind(app, phone: "+86 139 1234 5678").text.contains(legacy.number))
        }
    }

    @Test func postErrorsFollowTheSpec() async throws {
        try await withOpen311App { app in
            let p = try await gridCentre(app, songziyuan, 2)
            func post(_ form: [String: String], _ format: String = "xml") async throws -> Reply {
                try await open311(app, .POST, "requests.\(format)", form: form)
            }
            func code(_ reply: Reply) -> Int? {
                reply.text.hasPrefix("<") ? XMLNode.parse(reply.text)?.first("error")?["code"].flatMap { Int($0) } : jsonArray(reply).first?["code"] as? Int
            }
            let missing = try await post(["lat": String(p.lat), "long": String(p.long)])
            #expect(missing.status == .badRequest && missing.text.contains("service_code"))
            let unknown = try await post(["service_code": "99999", "lat": String(p.lat), "long": String(p.long)], "json")
            #expect(unknown.status == .notFound && code(unknown) == 404)
            let noPlace = try await post(["service_code": "06010", "address_string": "民治街道松仔园"])
            #expect(noPlace.status == .badRequest && noPlace.text.contains("address_string"))
            let outside = try await post(["service_code": "06010", "lat": "39.9042", "long": "116.4074"])
            #expect(outside.status == .badRequest && code(outside) == 422 && outside.text.contains("龙华区"))
            let badNumber = try await post(["service_code": "06010", "lat": "north", "long": String(p.long)])
            #expect(badNumber.status == .badRequest)
            let badUrgency = try await post(["service_code": "06010", "lat": String(p.lat), "long": String(p.long), "attribute[urgency]": "asap"])
            #expect(badUrgency.status == .badRequest && badUrgency.text.contains("urgency"))
            let tooLong = try await post(["service_code": "06010", "lat": String(p.lat), "long": String(p.long), "description": String(repeating: "脏", count: 4001)])
            #expect(tooLong.status == .badRequest && tooLong.text.contains("4000"))
            let badCRS = try await post(["service_code": "06010", "lat": String(p.lat), "long": String(p.long), "crs": "bd09"])
            #expect(badCRS.status == .badRequest)
            // A wrong api_key is 403 even where anonymous posting is allowed.
            let badKey = try await post(["service_code": "06010", "lat": String(p.lat), "long": String(p.long), "api_key": "csk_nope"])
            #expect(badKey.status == .forbidden && code(badKey) == 403)
            #expect(try await caseCount(app) == 0)
            // A media file too large or not an image is refused before anything is stored.
            var big = MultipartForm()
            for (k, v) in ["service_code": "06010", "lat": String(p.lat), "long": String(p.long)] { big.field(k, v) }
            big.file("media", TestImages.decodablePNG() + Data(repeating: 0, count: 8 * 1024 * 1024), "image/png")
            let tooLarge = try await big.send(app, "/open311/v2/requests.json")
            #expect(tooLarge.status == .badRequest && code(tooLarge) == 413)
            var notImage = MultipartForm()
            for (k, v) in ["service_code": "06010", "lat": String(p.lat), "long": String(p.long)] { notImage.field(k, v) }
            notImage.file("media", Data("%PDF-1.4".utf8), "application/pdf")
            let wrongType = try await notImage.send(app, "/open311/v2/requests.json")
            #expect(wrongType.status == .badRequest && code(wrongType) == 415)
            #expect(photoFiles(app).isEmpty)
            #expect(try await caseCount(app) == 0)
            // A good one is kept, and its public copy is the request's media_url.
            var good = MultipartForm()
            for (k, v) in ["service_code": "06010", "lat": String(p.lat), "long": String(p.long)] { good.field(k, v) }
            good.file("media", TestImages.decodablePNG(), "image/png")
            let withMedia = try await good.send(app, "/open311/v2/requests.json")
            let mediaID = try #require(jsonArray(withMedia).first?["service_request_id"] as? String)
            let mediaURL = try #require(jsonArray(try await open311(app, .GET, "requests/\(mediaID).json")).first?["media_url"] as? String)
            #expect(mediaURL.hasPrefix("http://127.0.0.1:8080/public/photos/"))
            #expect(try await send(app, .GET, String(mediaURL.dropFirst("http://127.0.0.1:8080".count))).status == .ok)
            // Only requests can be posted.
            #expect(try await open311(app, .POST, "services.xml", form: [:]).status == .notFound)
        }
    }

    @Test func withoutAnonymousPostingAnApiKeyIsRequired() async throws {
        try await withOpen311App(anonymous: false) { app in
            let p = try await gridCentre(app, langkou, 3)
            let form = ["service_code": "06010", "lat": String(p.lat), "long": String(p.long), "description": "设备上报"]
            let refused = try await open311(app, .POST, "requests.json", form: form)
            #expect(refused.status == .forbidden && (jsonArray(refused).first?["description"] as? String)?.contains("api_key") == true)
            let directory = DirectoryStore(db: app.db)
            let patroller = try #require(try await directory.user(username: "steward-patrol"))
            let (key, _) = try await directory.issueToken(userID: patroller.id, kind: .apiKey, name: "fms-bridge", scopes: [.casesReport], expiresAt: nil)
            var withKey = form
            withKey["api_key"] = key
            let accepted = try await open311(app, .POST, "requests.json", form: withKey)
            #expect(accepted.status == .ok, "\(accepted.text)")
            let row = try await CaseStore(db: app.db).find(number: try #require(jsonArray(accepted).first?["service_request_id"] as? String), scope: nil)
            #expect(row.reporterId == patroller.id)
            // A key without the right to report is refused.
            let (readKey, _) = try await directory.issueToken(userID: patroller.id, kind: .apiKey, name: "reader", scopes: [.areasRead], expiresAt: nil)
            withKey["api_key"] = readKey
            #expect(try await open311(app, .POST, "requests.json", form: withKey).status == .forbidden)
            // Reading stays public.
            #expect(try await open311(app, .GET, "requests.json").status == .ok)
        }
    }

    @Test func listingFiltersPagesAndChangeFeeds() async throws {
        try await withOpen311App { app in
            let patrol = try await token(app, "steward-patrol"), dispatcher = try await token(app, "steward-dispatch")
            var numbers: [String] = []
            for (i, category) in ["06010", "06012", "06010", "09009"].enumerated() {
                let p = try await gridCentre(app, songziyuan, i)
                numbers.append(try #require(try await report(app, patrol, category: category, at: p).json["number"] as? String))
            }
            // Close the first one (rejected as invalid: closed too).
            let first = try await CaseStore(db: app.db).find(number: numbers[0], scope: nil).id.uuidString.lowercased()
            #expect(try await act(app, dispatcher, first, "reject", ["note": "重复上报"]).status == .ok)

            func ids(_ query: String) async throws -> [String] {
                let reply = try await send(app, .GET, "/open311/v2/requests.json" + query)
                #expect(reply.status == .ok, "\(query): \(reply.text.prefix(200))")
                return jsonArray(reply).compactMap { $0["service_request_id"] as? String }
            }
            #expect(Set(try await ids("")) == Set(numbers))
            #expect(try await ids("?service_code=06010") .sorted() == [numbers[0], numbers[2]].sorted())
            #expect(try await ids("?service_code=06010,09009").count == 3)
            #expect(try await ids("?status=closed") == [numbers[0]])
            #expect(Set(try await ids("?status=open")) == Set(numbers.dropFirst()))
            #expect(try await ids("?status=open,closed").count == 4)
            // service_request_id overrides every other argument.
            #expect(Set(try await ids("?service_request_id=\(numbers[0]),\(numbers[3])&status=open&service_code=06012")) == [numbers[0], numbers[3]])
            // Newest first, paged.
            #expect(try await ids("?page_size=1&page=1") == [numbers[3]])
            #expect(try await ids("?page_size=2&page=2") == [numbers[1], numbers[0]])
            // Date windows on requested_datetime, with offsets.
            let now = app.clock.now
            let before = Open311Projection.datetime(now.addingTimeInterval(-3600)), after = Open311Projection.datetime(now.addingTimeInterval(3600))
            let enc = { (s: String) in s.addingPercentEncoding(withAllowedCharacters: .alphanumerics)! }
            #expect(try await ids("?start_date=\(enc(before))&end_date=\(enc(after))").count == 4)
            #expect(try await ids("?start_date=\(enc(after))").isEmpty)
            #expect(try await ids("?end_date=\(enc(before))").isEmpty)
            // The rejection updated the first case: a change feed by updated_after sees it.
            let rejectedAt = try await CaseStore(db: app.db).find(number: numbers[0], scope: nil).updatedAt
            #expect(try await ids("?updated_after=\(enc(Open311Projection.datetime(rejectedAt.addingTimeInterval(-1))))").contains(numbers[0]))
            #expect(try await ids("?updated_before=\(enc(before))").isEmpty)
            // The closed record: status closed, the reason in status_notes, updated_datetime the closing time.
            let closed = try #require(jsonArray(try await send(app, .GET, "/open311/v2/requests/\(numbers[0]).json")).first)
            #expect(closed["status"] as? String == "closed" && closed["status_notes"] as? String == "重复上报")
            // XML lists too.
            let xml = try #require(XMLNode.parse(try await send(app, .GET, "/open311/v2/requests.xml?status=open").text))
            #expect(xml.name == "service_requests" && xml.all("request").count == 3)
            // Bad filters: 400 with the reason.
            for bad in ["?status=pending", "?start_date=yesterday", "?start_date=2026-01-01T00:00:00", "?page=0", "?page_size=5000",
                        "?start_date=2026-01-01T00:00:00Z&end_date=2026-06-01T00:00:00Z", "?start_date=2026-02-01T00:00:00Z&end_date=2026-01-01T00:00:00Z",
                        "?service_request_id=abc"] {
                let reply = try await send(app, .GET, "/open311/v2/requests.xml" + bad)
                #expect(reply.status == .badRequest, "\(bad)")
                #expect(XMLNode.parse(reply.text)?.first("error")?["code"] == "400", "\(bad)")
            }
        }
    }

    @Test func tokensAndServiceRequestUpdates() async throws {
        try await withOpen311App { app in
            // A portal report's tracking token resolves to its request id.
            let (reply, _, _, _) = try await portalReport(app, photo: nil)
            let link = try #require(trackingToken(reply.location))
            let row = try #require(try await CaseStore(db: app.db).page(scope: .everything).rows.first)
            let tokenXML = try #require(XMLNode.parse(try await open311(app, .GET, "tokens/\(link).xml").text))
            #expect(tokenXML.first("request")?["service_request_id"] == row.number && tokenXML.first("request")?["token"] == link)
            #expect(jsonArray(try await open311(app, .GET, "tokens/\(link).json")).first?["service_request_id"] as? String == row.number)
            #expect(try await open311(app, .GET, "tokens/AAAAAAAAAAAAAAAAAAAAAA.json").status == .notFound)

            try await workToClosure(app, row.id)
            let updates = try await open311(app, .GET, "servicerequestupdates.xml")
            let tree = try #require(XMLNode.parse(updates.text))
            #expect(tree.name == "service_request_updates")
            let items = tree.all("request_update").filter { $0["service_request_id"] == row.number }
            #expect(items.compactMap { $0["status"] } == ["open", "investigating", "action_scheduled", "in_progress", "in_progress", "fixed", "fixed"])
            #expect(items.compactMap { $0["external_status_code"] } == ["report", "file", "dispatch", "accept", "handle", "passVerification", "close"])
            #expect(items.allSatisfy { ($0["updated_datetime"] ?? "").hasSuffix("+08:00") && !($0["update_id"] ?? "").isEmpty })
            let json = jsonArray(try await open311(app, .GET, "servicerequestupdates.json"))
            #expect(json.filter { $0["service_request_id"] as? String == row.number }.count == 7)
            // A window before the report holds nothing; bad dates and bad keys are refused.
            let old = "2026-01-01T00:00:00%2B08:00"
            #expect(jsonArray(try await send(app, .GET, "/open311/v2/servicerequestupdates.json?start_date=\(old)&end_date=2026-01-02T00:00:00Z")).isEmpty)
            #expect(try await send(app, .GET, "/open311/v2/servicerequestupdates.json?start_date=soon").status == .badRequest)
            #expect(try await send(app, .GET, "/open311/v2/servicerequestupdates.json?api_key=csk_bad").status == .forbidden)
            // The closed request's updated_datetime is its closing time.
            let closedRow = try await CaseStore(db: app.db).find(row.id, scope: nil)
            let record = try #require(jsonArray(try await open311(app, .GET, "requests/\(row.number).json")).first)
            #expect(record["updated_datetime"] as? String == Open311Projection.datetime(try #require(closedRow.closedAt)))
        }
    }
}

@Suite("Open311 projection")
struct Open311ProjectionTests {
    @Test func datetimesCarryTheirZone() throws {
        let instant = Date(timeIntervalSince1970: 1_772_433_000)   // 2026-03-02T06:30:00Z
        #expect(Open311Projection.datetime(instant) == "2026-03-02T14:30:00+08:00")
        #expect(Open311Projection.parseDatetime("2026-03-02T14:30:00+08:00") == instant)
        #expect(Open311Projection.parseDatetime("2026-03-02T06:30:00Z") == instant)
        #expect(Open311Projection.parseDatetime("2026-03-02T01:30:00-05:00") == instant)
        #expect(Open311Projection.parseDatetime("2026-03-02T06:30:00.250Z") == instant.addingTimeInterval(0.25))
        for bad in ["2026-03-02T06:30:00", "2026-03-02", "2026-02-30T00:00:00Z", "2026-03-02T25:00:00Z", "2026-03-02T06:30:00+0800", "x"] {
            #expect(Open311Projection.parseDatetime(bad) == nil, "\(bad)")
        }
    }

    @Test func statusesProjectTheWorkflow() {
        #expect(CaseState.allCases.filter { Open311Projection.status($0) == "closed" } == [.closed, .rejected])
        #expect(Open311Projection.extendedStatus(action: "merge") == "duplicate")
        #expect(Open311Projection.extendedStatus(action: "reopen") == "reopen")
        #expect(Open311Projection.extendedStatus(action: "requestPostpone") == nil)
    }
}
