using System.Text.Json;

namespace IncusTestKit.Client;

/// <summary>The daemon's envelope: <c>sync</c>, <c>async</c> (an operation was created) or <c>error</c>.</summary>
internal sealed record IncusResponse(string Type, int HttpStatus, int ErrorCode, string Error, string? OperationUrl, JsonElement Metadata)
{
    public bool IsError => Type == "error";

    /// <summary>The ETag header of a read: send it back as <c>If-Match</c> to change the object only if nobody else did.</summary>
    public string? ETag { get; init; }

    public static IncusResponse Parse(JsonElement root, int httpStatus)
    {
        string Str(string name) => root.TryGetProperty(name, out var v) && v.ValueKind == JsonValueKind.String ? v.GetString()! : "";
        var errorCode = root.TryGetProperty("error_code", out var ec) && ec.ValueKind == JsonValueKind.Number ? ec.GetInt32() : 0;
        var metadata = root.TryGetProperty("metadata", out var m) ? m.Clone() : default;
        var type = Str("type");
        if (type.Length == 0)
            type = httpStatus >= 400 ? "error" : "sync";
        if (type == "error" && errorCode == 0)
            errorCode = httpStatus;
        var operation = Str("operation");
        return new IncusResponse(type, httpStatus, errorCode, Str("error"), operation.Length == 0 ? null : operation, metadata);
    }

    public static IncusResponse FromStatus(int httpStatus, string text) =>
        new(httpStatus >= 400 ? "error" : "sync", httpStatus, httpStatus >= 400 ? httpStatus : 0, text, null, default);
}
