#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// What the daemon and a Label Studio ML backend exchange (SPEC section 8,
/// `"protocol": "label-studio"`): the calls Label Studio itself makes,
/// `GET /health`, `POST /setup` and `POST /predict`, with a labeling config
/// built from the project's task and tags, and the backend's
/// RectangleLabels / PolygonLabels results (percent of the image) turned
/// into SPEC section 8's answer in pixels, which `predictAnswer` then checks
/// like any predictor's.
public enum LabelStudioWire {
    /// The control names in the labeling config the backend is given.
    public static let labelsName = "label"
    public static let imageName = "image"

    /// A Label Studio labeling config for the project: an Image and its
    /// RectangleLabels (bbox) or PolygonLabels (polygon) with one Label per tag.
    public static func labelConfig(task: TaskKind, tags: [String]) -> String {
        let control = task == .polygon ? "PolygonLabels" : "RectangleLabels"
        let labels = tags.map { "    <Label value=\"\(ExportText.xmlEscaped($0))\"/>\n" }.joined()
        return "<View>\n  <Image name=\"\(imageName)\" value=\"$image\"/>\n"
            + "  <\(control) name=\"\(labelsName)\" toName=\"\(imageName)\">\n\(labels)  </\(control)>\n</View>\n"
    }

    /// `POST /setup`: the project and its config; `hostname` is where the
    /// backend fetches the images (the daemon's loopback image server).
    public static func setupBody(project: String, config: String, hostname: String) -> String {
        JSONWriter.compact(.object([
            ("project", .string(project)), ("schema", .string(config)), ("label_config", .string(config)),
            ("hostname", .string(hostname)), ("access_token", .string("")), ("model_version", .null),
        ]))
    }

    /// `POST /predict` for one task whose `data.image` is `imageURL`.
    public static func predictBody(taskID: Int, imageURL: String, project: String, config: String) -> String {
        JSONWriter.compact(.object([
            ("tasks", .array([.object([("id", .number(Double(taskID))), ("data", .object([(imageName, .string(imageURL))]))])])),
            ("project", .string(project)), ("label_config", .string(config)),
            ("params", .object([("login", .null), ("password", .null), ("context", .null)])),
        ]))
    }

    /// The backend's `/health` answer says it is up (`{"status": "UP"}`).
    public static func isUp(_ body: [UInt8]) -> Bool {
        guard let node = try? StrictJSON.parse(body), case .string(let status)? = node["status"]?.kind else { return false }
        return status.uppercased() == "UP"
    }

    /// The `model_version` of a `/setup` or `/predict` answer, when it names one.
    public static func modelVersion(_ body: [UInt8]) -> String? {
        guard let node = try? StrictJSON.parse(body) else { return nil }
        switch node["model_version"]?.kind {
        case .string(let s)? where !s.isEmpty: return String(s.prefix(200))
        case .number(let n, _)?: return JSONWriter.formatNumber(n)
        default: return nil
        }
    }

    /// The `/predict` answer for task `id` (the only one asked) as SPEC
    /// section 8's answer line, `{"id": id, "regions": [...]}` in pixels of a
    /// `width` x `height` image, what was left out and why, and for each
    /// region of the line the number of the backend's result it came from
    /// (`renumbered` puts those numbers into the checker's reasons). A body
    /// that is not a Label Studio answer fails.
    public static func answerLine(_ body: [UInt8], id: Int, task: TaskKind, width: Int, height: Int)
        -> Result<(line: [UInt8], dropped: [String], origins: [Int]), PredictorWire.Problem> {
        let node: JSONNode
        do { node = try StrictJSON.parse(body) } catch {
            return .failure(.invalid(id: id, "the backend's /predict answer is not JSON: \(error)"))
        }
        guard case .array(let predictions)? = node["results"]?.kind else {
            return .failure(.invalid(id: id, "the backend's /predict answer has no \"results\" list"))
        }
        guard let prediction = predictions.first else {
            return .success((line(id: id, regions: []), [], []))
        }
        guard case .object = prediction.kind else {
            return .failure(.invalid(id: id, "results[0] must be an object with a \"result\" list"))
        }
        var items: [JSONNode] = []
        switch prediction["result"]?.kind {
        case .array(let list)?: items = list
        case nil, .null?: items = []
        default: return .failure(.invalid(id: id, "results[0].result must be a list"))
        }
        guard items.count <= PredictorWire.maxPredictions else {
            return .failure(.invalid(id: id, "results[0].result has over \(PredictorWire.maxPredictions) regions"))
        }
        let overall = number(prediction["score"])
        var regions: [JSONValue] = []
        var dropped: [String] = []
        var origins: [Int] = []
        for (k, item) in items.enumerated() {
            switch region(item, task: task, width: Double(width), height: Double(height), score: overall) {
            case .success(let value):
                regions.append(value)
                origins.append(k + 1)
            case .failure(let why): dropped.append("result \(k + 1): \(why.message)")
            }
        }
        return .success((line(id: id, regions: regions), dropped, origins))
    }

    /// A reason from `PredictorWire.predictAnswer` ("region 3: ...") in the
    /// backend's own numbering ("result 5: ...").
    public static func renumbered(_ why: String, origins: [Int]) -> String {
        guard why.hasPrefix("region "), let colon = why.firstIndex(of: ":"),
              let k = Int(why[why.index(why.startIndex, offsetBy: 7)..<colon]), origins.indices.contains(k - 1) else { return why }
        return "result \(origins[k - 1])" + why[colon...]
    }

    struct Dropped: Error { var message: String }

    private static func line(id: Int, regions: [JSONValue]) -> [UInt8] {
        Array(JSONWriter.compact(.object([("id", .number(Double(id))), ("regions", .array(regions))])).utf8)
    }

    private static func number(_ node: JSONNode?) -> Double? {
        if case .number(let n, _)? = node?.kind { return n }
        return nil
    }

    /// Percent of a side to pixels, to a hundredth of a pixel (so that 100% is the side exactly).
    private static func pixels(_ percent: Double, of side: Double) -> Double {
        (percent * side / 100 * 100).rounded() / 100
    }

    private static func region(_ item: JSONNode, task: TaskKind, width: Double, height: Double, score: Double?)
        -> Result<JSONValue, Dropped> {
        guard case .object = item.kind, case .string(let type)? = item["type"]?.kind, let value = item["value"],
              case .object = value.kind else {
            return .failure(Dropped(message: "not a Label Studio region (an object with \"type\" and \"value\")"))
        }
        let kind = type.lowercased()
        let isRectangle = kind == "rectanglelabels" || kind == "rectangle"
        let isPolygon = kind == "polygonlabels" || kind == "polygon"
        guard isRectangle || isPolygon else {
            return .failure(Dropped(message: "type \"\(type)\" is not RectangleLabels or PolygonLabels"))
        }
        var label: String?
        for key in [kind, "labels", "rectanglelabels", "polygonlabels"] {
            if case .array(let names)? = value[key]?.kind {
                guard names.count == 1, case .string(let name) = names[0].kind else {
                    return .failure(Dropped(message: "\"\(key)\" must name exactly one label"))
                }
                label = name
                break
            }
        }
        guard let label else { return .failure(Dropped(message: "no label (value.\(kind))")) }
        guard let confidence = number(item["score"]) ?? score else {
            return .failure(Dropped(message: "no score (on the region or the prediction)"))
        }
        var members: [(String, JSONValue)] = [("tag", .string(label))]
        if isRectangle {
            guard let x = number(value["x"]), let y = number(value["y"]), let w = number(value["width"]),
                  let h = number(value["height"]) else {
                return .failure(Dropped(message: "a rectangle needs numbers x, y, width and height (percent)"))
            }
            let rotation = number(value["rotation"]) ?? 0
            guard rotation.isFinite else { return .failure(Dropped(message: "rotation is not a finite number")) }
            if task == .polygon {
                let box = (x: x * width / 100, y: y * height / 100, w: w * width / 100, h: h * height / 100)
                members.append(("polygon", .array(corners(x: box.x, y: box.y, w: box.w, h: box.h, degrees: rotation).map {
                    .array([.number(($0.0 * 100).rounded() / 100), .number(($0.1 * 100).rounded() / 100)])
                })))
            } else {
                guard abs(rotation.truncatingRemainder(dividingBy: 360)) < 1e-6 else {
                    return .failure(Dropped(message: "a box rotated by \(JSONWriter.formatNumber(rotation)) degrees: a bbox project's boxes are upright"))
                }
                members.append(("box", .object([
                    ("x", .number(pixels(x, of: width))), ("y", .number(pixels(y, of: height))),
                    ("width", .number(pixels(w, of: width))), ("height", .number(pixels(h, of: height))),
                ])))
            }
        } else {
            guard task == .polygon else {
                return .failure(Dropped(message: "a polygon, in a bbox project"))
            }
            guard case .array(let points)? = value["points"]?.kind else {
                return .failure(Dropped(message: "a polygon needs \"points\", a list of [x, y] in percent"))
            }
            var out: [JSONValue] = []
            for (k, point) in points.enumerated() {
                guard case .array(let xy) = point.kind, xy.count == 2, let px = number(xy[0]), let py = number(xy[1]) else {
                    return .failure(Dropped(message: "point \(k + 1) is not [x, y]"))
                }
                out.append(.array([.number(pixels(px, of: width)), .number(pixels(py, of: height))]))
            }
            members.append(("polygon", .array(out)))
        }
        members.append(("confidence", .number(confidence)))
        return .success(.object(members))
    }

    /// The corners of a rectangle (in pixels), turned `degrees` clockwise
    /// about its top-left corner, as Label Studio draws a rotated rectangle.
    static func corners(x: Double, y: Double, w: Double, h: Double, degrees: Double) -> [(Double, Double)] {
        let angle = degrees * Double.pi / 180
        let c = cos(angle), s = sin(angle)
        return [(0.0, 0.0), (w, 0.0), (w, h), (0.0, h)].map { dx, dy in (x + dx * c - dy * s, y + dx * s + dy * c) }
    }
}
