namespace SshHsmCa.CaDaemon.Audit;

/// <summary>One page of a listing, newest first: the items, and whether another page follows.</summary>
internal sealed record Page<T>(IReadOnlyList<T> Items, bool HasMore)
{
    /// <summary>Asks for one more item than the page holds, so a next page is announced only when it exists.</summary>
    public static async Task<Page<T>> FetchAsync(int size, Func<int, Task<IReadOnlyList<T>>> fetch)
    {
        ArgumentNullException.ThrowIfNull(fetch);
        var found = await fetch(size + 1).ConfigureAwait(false);
        return new Page<T>([.. found.Take(size)], found.Count > size);
    }
}
