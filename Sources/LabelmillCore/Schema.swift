public enum PageSchema { public static let text = "{}\n" }
