namespace DnaFoundation.Data.Hub;

/// <summary>
/// Where the Hugging Face Hub is and where its files are cached, from the environment variables
/// <c>huggingface_hub</c> reads, with its defaults: <c>HF_ENDPOINT</c> (https://huggingface.co), <c>HF_HOME</c>
/// (<c>$XDG_CACHE_HOME/huggingface</c>, i.e. ~/.cache/huggingface), <c>HF_HUB_CACHE</c> (<c>$HF_HOME/hub</c>; the
/// older <c>HUGGINGFACE_HUB_CACHE</c> too), <c>HF_TOKEN</c> (else the token file <c>$HF_HOME/token</c> that
/// <c>huggingface-cli login</c> writes, or <c>HF_TOKEN_PATH</c>), <c>HF_HUB_OFFLINE</c> (1/true/yes/on; also
/// <c>TRANSFORMERS_OFFLINE</c>). A cache filled by Python is read here and the other way round.
/// </summary>
public sealed record HubSettings(Uri Endpoint, string CacheDir, string? Token, bool Offline)
{
    public const string DefaultEndpoint = "https://huggingface.co";

    /// <param name="environment">Variable lookup (tests pass their own; null = the process environment).</param>
    public static HubSettings FromEnvironment(Func<string, string?>? environment = null)
    {
        string? Env(string name) => (environment ?? Environment.GetEnvironmentVariable)(name) is { Length: > 0 } v ? v : null;
        var endpoint = new Uri((Env("HF_ENDPOINT") ?? DefaultEndpoint).TrimEnd('/') + "/");
        string home = Env("HOME") ?? Environment.GetFolderPath(Environment.SpecialFolder.UserProfile);
        string hfHome = ExpandUser(Env("HF_HOME") ?? Path.Combine(Env("XDG_CACHE_HOME") ?? Path.Combine(home, ".cache"), "huggingface"), home);
        string cache = ExpandUser(Env("HF_HUB_CACHE") ?? Env("HUGGINGFACE_HUB_CACHE") ?? Path.Combine(hfHome, "hub"), home);
        string? token = Env("HF_TOKEN") ?? Env("HUGGING_FACE_HUB_TOKEN");
        if (token is null)
        {
            var tokenFile = ExpandUser(Env("HF_TOKEN_PATH") ?? Path.Combine(hfHome, "token"), home);
            if (File.Exists(tokenFile)) token = File.ReadAllText(tokenFile).Trim() is { Length: > 0 } t ? t : null;
        }
        bool offline = IsTrue(Env("HF_HUB_OFFLINE")) || IsTrue(Env("TRANSFORMERS_OFFLINE"));
        return new HubSettings(endpoint, cache, token, offline);
    }

    private static bool IsTrue(string? value) => value?.ToUpperInvariant() is "1" or "ON" or "YES" or "TRUE";

    private static string ExpandUser(string path, string home) =>
        path == "~" ? home : path.StartsWith("~/", StringComparison.Ordinal) ? Path.Combine(home, path[2..]) : path;
}
