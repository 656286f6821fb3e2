namespace SshHsmCa.Hsm;

/// <summary>
/// Who is waiting for a signature that needs a touch. A caller (a streaming RPC) registers a
/// callback for the duration of its signing call; a backend that notices the device waiting for
/// a touch calls it, on the caller's async flow.
/// </summary>
public static class TouchPrompts
{
    private static readonly AsyncLocal<Action<string>?> Current = new();

    /// <summary>Routes touch prompts raised in this async flow to <paramref name="onPrompt"/> until disposed.</summary>
    public static IDisposable Observe(Action<string> onPrompt)
    {
        ArgumentNullException.ThrowIfNull(onPrompt);
        var previous = Current.Value;
        Current.Value = onPrompt;
        return new Scope(previous);
    }

    /// <summary>The observer of the current flow (captured by a backend before it hands work to another thread).</summary>
    public static Action<string>? Capture() => Current.Value;

    private sealed class Scope(Action<string>? previous) : IDisposable
    {
        public void Dispose() => Current.Value = previous;
    }
}
