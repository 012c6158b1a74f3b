/// The JSON Schema (draft-07) of page.json, written to `Watch/page.schema.json` and
/// printed by `labelmill schema`. Editors use it offline through each page's `$schema`:
/// `if`/`then` on `task` makes them offer `tags` on classification pages and
/// `regions` (with `box` or `polygon`) on the others. The validator
/// (`SubmissionValidator`) is the judge; the schema mirrors it as far as draft-07 can
/// (it cannot compare against the daemon's copy or the page's own tag list).
public enum PageSchema {
    public static let text: String = #"""
    {
      "$schema": "http://json-schema.org/draft-07/schema#",
      "$id": "page.schema.json",
      "title": "labelmill page",
      "description": "One page of images to label. Label every image, then set \"status\" to \"submitted\" (or run `labelmill submit`). Keys written by the daemon must stay as they are.",
      "type": "object",
      "additionalProperties": false,
      "required": ["project", "page", "revision", "task", "tags", "status", "images"],
      "properties": {
        "$schema": {
          "type": "string",
          "description": "Where editors find this schema (relative to the page folder). The daemon rewrites it when it moves the page."
        },
        "project": {
          "type": "string",
          "description": "The project this page belongs to. Written by the daemon: do not change."
        },
        "page": {
          "type": "string",
          "description": "The page id, unique in the project. Written by the daemon: do not change."
        },
        "revision": {
          "type": "integer",
          "minimum": 0,
          "description": "Counts how often the page changed hands. Written by the daemon: do not change. A copy with an older revision is set aside as a conflict."
        },
        "task": {
          "enum": ["multi-class", "multi-label", "bbox", "polygon"],
          "description": "What to do with each image. multi-class: give exactly one tag. multi-label: give one or more tags. bbox: mark boxes. polygon: mark polygons. Written by the daemon: do not change."
        },
        "tags": {
          "type": "array",
          "items": { "type": "string" },
          "uniqueItems": true,
          "description": "The tags you may use on this page, exactly as written here (capitals matter). Written by the daemon: do not change."
        },
        "status": {
          "enum": ["open", "submitted", "rejected", "done"],
          "description": "open: being labeled. Set it to \"submitted\" to hand the page in. rejected: the daemon found problems, listed in \"errors\"; fix them and submit again. done: accepted."
        },
        "assist": {
          "type": "object",
          "additionalProperties": false,
          "description": "What ML assist did for this page: its images were clustered (similar images together) and/or prelabeled by a model. Written by the daemon.",
          "properties": {
            "clustered": { "type": "boolean", "description": "The images were chosen because they look alike." },
            "prelabeled": { "type": "boolean", "description": "Some images have their tags filled in from a model's confident suggestion: check them." },
            "model": { "type": "string", "description": "The model that prelabeled the page." }
          }
        },
        "assigned_to": {
          "type": "string",
          "description": "The labeler holding this page. Written by the daemon."
        },
        "comment": {
          "type": "string",
          "description": "A note about the whole page, for whoever reviews it."
        },
        "images": {
          "type": "array",
          "description": "The page's images, one entry per image file in the page folder. Add labels; do not add, remove or rename entries.",
          "items": { "type": "object" }
        },
        "errors": {
          "type": "array",
          "description": "Written by the daemon when it rejects the page: what to fix, and where. You may leave or delete it; it is replaced on the next check.",
          "items": { "$ref": "#/definitions/error" }
        }
      },
      "allOf": [
        {
          "if": { "required": ["task"], "properties": { "task": { "const": "multi-class" } } },
          "then": { "properties": { "images": { "items": { "$ref": "#/definitions/multiClassImage" } } } }
        },
        {
          "if": { "required": ["task"], "properties": { "task": { "const": "multi-label" } } },
          "then": { "properties": { "images": { "items": { "$ref": "#/definitions/multiLabelImage" } } } }
        },
        {
          "if": { "required": ["task"], "properties": { "task": { "const": "bbox" } } },
          "then": { "properties": { "images": { "items": { "$ref": "#/definitions/bboxImage" } } } }
        },
        {
          "if": { "required": ["task"], "properties": { "task": { "const": "polygon" } } },
          "then": { "properties": { "images": { "items": { "$ref": "#/definitions/polygonImage" } } } }
        }
      ],
      "definitions": {
        "file": {
          "type": "string",
          "minLength": 1,
          "pattern": "^[^/\\\\]+$",
          "not": { "enum": [".", ".."] },
          "description": "The image's file name in the page folder (a plain name, never a path). Written by the daemon: do not change."
        },
        "width": {
          "type": "integer",
          "minimum": 1,
          "description": "The image's width in pixels. Written by the daemon: do not change."
        },
        "height": {
          "type": "integer",
          "minimum": 1,
          "description": "The image's height in pixels. Written by the daemon: do not change."
        },
        "source": {
          "type": "string",
          "description": "Where the image came from in the inbox. Written by the daemon: do not change."
        },
        "sha256": {
          "type": "string",
          "description": "The SHA-256 of the image file. Written by the daemon: do not change."
        },
        "imageComment": {
          "type": "string",
          "description": "A note about this image, for whoever reviews it."
        },
        "prelabels": {
          "type": "array",
          "description": "Suggestions from a model, with its confidence. Written by the daemon; you may leave them. On a classification page a confident suggestion is already filled into \"tags\": keep it or change it.",
          "items": { "$ref": "#/definitions/prelabel" }
        },
        "labelSource": {
          "enum": ["human", "model-accepted", "model-corrected", "model-adjusted", "import"],
          "description": "Where the accepted label came from. Written by the daemon when the page is accepted."
        },
        "multiClassImage": {
          "type": "object",
          "additionalProperties": false,
          "required": ["file", "width", "height", "source", "sha256"],
          "properties": {
            "file": { "$ref": "#/definitions/file" },
            "width": { "$ref": "#/definitions/width" },
            "height": { "$ref": "#/definitions/height" },
            "source": { "$ref": "#/definitions/source" },
            "sha256": { "$ref": "#/definitions/sha256" },
            "tags": {
              "type": ["array", "null"],
              "items": { "type": "string" },
              "maxItems": 1,
              "description": "This image's tag: a list holding exactly one of the page's \"tags\", e.g. [\"Dog\"]. null until labeled."
            },
            "comment": { "$ref": "#/definitions/imageComment" },
            "prelabels": { "$ref": "#/definitions/prelabels" },
            "label_source": { "$ref": "#/definitions/labelSource" }
          }
        },
        "multiLabelImage": {
          "type": "object",
          "additionalProperties": false,
          "required": ["file", "width", "height", "source", "sha256"],
          "properties": {
            "file": { "$ref": "#/definitions/file" },
            "width": { "$ref": "#/definitions/width" },
            "height": { "$ref": "#/definitions/height" },
            "source": { "$ref": "#/definitions/source" },
            "sha256": { "$ref": "#/definitions/sha256" },
            "tags": {
              "type": ["array", "null"],
              "items": { "type": "string" },
              "uniqueItems": true,
              "description": "This image's tags: one or more of the page's \"tags\", each once, e.g. [\"Dog\", \"Cat\"]. null until labeled."
            },
            "comment": { "$ref": "#/definitions/imageComment" },
            "prelabels": { "$ref": "#/definitions/prelabels" },
            "label_source": { "$ref": "#/definitions/labelSource" }
          }
        },
        "bboxImage": {
          "type": "object",
          "additionalProperties": false,
          "required": ["file", "width", "height", "source", "sha256"],
          "properties": {
            "file": { "$ref": "#/definitions/file" },
            "width": { "$ref": "#/definitions/width" },
            "height": { "$ref": "#/definitions/height" },
            "source": { "$ref": "#/definitions/source" },
            "sha256": { "$ref": "#/definitions/sha256" },
            "regions": {
              "type": ["array", "null"],
              "items": { "$ref": "#/definitions/bboxRegion" },
              "description": "The boxes marked on this image, one tag each. null until labeled; [] means there is nothing to mark."
            },
            "comment": { "$ref": "#/definitions/imageComment" },
            "prelabels": { "$ref": "#/definitions/prelabels" },
            "label_source": { "$ref": "#/definitions/labelSource" }
          }
        },
        "polygonImage": {
          "type": "object",
          "additionalProperties": false,
          "required": ["file", "width", "height", "source", "sha256"],
          "properties": {
            "file": { "$ref": "#/definitions/file" },
            "width": { "$ref": "#/definitions/width" },
            "height": { "$ref": "#/definitions/height" },
            "source": { "$ref": "#/definitions/source" },
            "sha256": { "$ref": "#/definitions/sha256" },
            "regions": {
              "type": ["array", "null"],
              "items": { "$ref": "#/definitions/polygonRegion" },
              "description": "The polygons marked on this image, one tag each. null until labeled; [] means there is nothing to mark."
            },
            "comment": { "$ref": "#/definitions/imageComment" },
            "prelabels": { "$ref": "#/definitions/prelabels" },
            "label_source": { "$ref": "#/definitions/labelSource" }
          }
        },
        "tag": {
          "type": "string",
          "description": "One of the page's \"tags\", exactly as written there."
        },
        "regionPrelabel": {
          "type": "object",
          "additionalProperties": false,
          "required": ["confidence", "model"],
          "description": "A model proposed this region (written by the daemon). Keep the region, move or retag it (leave this note: it counts as adjusted), or delete it.",
          "properties": {
            "confidence": { "type": "number", "minimum": 0, "maximum": 1, "description": "How sure the model is, from 0 to 1." },
            "model": { "type": "string", "description": "Which model proposed it." }
          }
        },
        "regionComment": {
          "type": "string",
          "description": "A note about this region."
        },
        "bboxRegion": {
          "type": "object",
          "additionalProperties": false,
          "required": ["tag", "box"],
          "properties": {
            "tag": { "$ref": "#/definitions/tag" },
            "box": { "$ref": "#/definitions/box" },
            "comment": { "$ref": "#/definitions/regionComment" },
            "prelabel": { "$ref": "#/definitions/regionPrelabel" },
            "label_source": { "$ref": "#/definitions/labelSource" }
          }
        },
        "polygonRegion": {
          "type": "object",
          "additionalProperties": false,
          "required": ["tag", "polygon"],
          "properties": {
            "tag": { "$ref": "#/definitions/tag" },
            "polygon": { "$ref": "#/definitions/polygon" },
            "comment": { "$ref": "#/definitions/regionComment" },
            "prelabel": { "$ref": "#/definitions/regionPrelabel" },
            "label_source": { "$ref": "#/definitions/labelSource" }
          }
        },
        "box": {
          "type": "object",
          "additionalProperties": false,
          "required": ["x", "y", "width", "height"],
          "description": "A box in pixels from the image's top-left corner (x right, y down); fractions allowed. It must lie inside the image: x + width <= image width, y + height <= image height.",
          "properties": {
            "x": { "type": "number", "minimum": 0, "description": "Left edge, in pixels from the image's left side." },
            "y": { "type": "number", "minimum": 0, "description": "Top edge, in pixels from the image's top." },
            "width": { "type": "number", "exclusiveMinimum": 0, "description": "Width in pixels, greater than 0." },
            "height": { "type": "number", "exclusiveMinimum": 0, "description": "Height in pixels, greater than 0." }
          }
        },
        "polygon": {
          "type": "array",
          "minItems": 3,
          "maxItems": 10000,
          "items": { "$ref": "#/definitions/point" },
          "description": "The outline as [x, y] points in pixels from the image's top-left corner: 3 to 10,000 points inside the image, no point repeated twice in a row, edges that do not cross. Do not repeat the first point at the end: a polygon closes itself."
        },
        "point": {
          "type": "array",
          "minItems": 2,
          "maxItems": 2,
          "items": [
            { "type": "number", "minimum": 0, "description": "x, in pixels from the left." },
            { "type": "number", "minimum": 0, "description": "y, in pixels from the top." }
          ],
          "additionalItems": false
        },
        "prelabel": {
          "type": "object",
          "additionalProperties": false,
          "required": ["tag", "confidence", "model"],
          "properties": {
            "tag": { "$ref": "#/definitions/tag" },
            "confidence": { "type": "number", "minimum": 0, "maximum": 1, "description": "How sure the model is, from 0 to 1." },
            "model": { "type": "string", "description": "Which model suggested it." },
            "box": { "$ref": "#/definitions/box" },
            "polygon": { "$ref": "#/definitions/polygon" }
          }
        },
        "error": {
          "type": "object",
          "additionalProperties": false,
          "required": ["line", "column", "pointer", "message"],
          "properties": {
            "line": { "type": "integer", "minimum": 1, "description": "Line of the offending value in this file." },
            "column": { "type": "integer", "minimum": 1, "description": "Column of the offending value (counting characters)." },
            "pointer": { "type": "string", "description": "JSON pointer (RFC 6901) to the offending value, e.g. /images/1/regions/0/box." },
            "message": { "type": "string", "description": "What is wrong and how to fix it." }
          }
        }
      }
    }

    """#
}
