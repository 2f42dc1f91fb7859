// These tests build models and fine-tune them from seeds on libtorch's one global generator (ToyData.Model,
// VariantScorerTests, FineTuner's own seeding). Two classes running at once interleave their draws, so a model built
// "from seed 3" differs between runs (seen in CI: the LoRA test's B = 0 probe did not equal its base model). The whole
// assembly runs in about 5 s, so it runs its classes one at a time rather than each class taking a lock.
[assembly: Xunit.CollectionBehavior(DisableTestParallelization = true)]
