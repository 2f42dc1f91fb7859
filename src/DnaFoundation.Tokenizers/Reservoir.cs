namespace DnaFoundation.Tokenizers;

/// <summary>
/// A uniform random sample of at most <see cref="Capacity"/> items from a stream of unknown length (Algorithm R):
/// memory stays fixed however long the stream is.
/// </summary>
internal sealed class Reservoir<T>(int capacity, int seed)
{
    private readonly List<T> items = [];
    private readonly Random random = new(seed);

    public int Capacity { get; } = Math.Max(1, capacity);

    public long Seen { get; private set; }

    public bool Sampled => Seen > Capacity;

    public IReadOnlyList<T> Items => items;

    public void Add(T item)
    {
        Seen++;
        if (items.Count < Capacity) items.Add(item);
        else
        {
            long j = random.NextInt64(Seen);
            if (j < Capacity) items[(int)j] = item;
        }
    }
}
