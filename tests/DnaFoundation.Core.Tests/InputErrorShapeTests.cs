using DnaFoundation.TestSupport;

namespace DnaFoundation.Core.Tests;

/// <summary>The one-line error contract at its source (fuzzing found both ways to break it).</summary>
public class InputErrorShapeTests
{
    [Fact]
    public void A_key_given_twice_is_an_input_error_with_the_key_and_the_line_of_its_second_occurrence()
    {
        using var dir = new TempDir();
        var path = dir.File("cfg.json");
        File.WriteAllText(path, "{\n  // comment\n  \"optim\": { \"beta2\": 0.9 },\n  \"lr\": 0.001,\n  \"optim\": { \"beta2\": 0.99, },\n}\n");
        var e = Assert.Throws<DnaInputException>(() => ConfigLoader.Load<SampleConfig>(path));
        Assert.Equal($"{path}:5: not valid JSON: duplicate key 'optim'", e.Message);
        // Nested objects keep their own keys: the same name at two levels is fine.
        File.WriteAllText(path, "{ \"optim\": { \"beta2\": 0.9 }, \"lr\": 0.001 }");
        Assert.Equal(0.9, ConfigLoader.Load<SampleConfig>(path).Optim!.Beta2);
    }

    [Fact]
    public void A_message_quoting_the_input_stays_on_one_line()
    {
        var e = new DnaInputException("invalid character in the sequence of 'chr\r1\n>x\u0001'", "in.fa", 3);
        Assert.Equal("in.fa:3: invalid character in the sequence of 'chr\\r1\\n>x\\x01'", e.Message);
    }
}
