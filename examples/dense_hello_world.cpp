// Seed 001's dense hello world (attention_dense.py): 32 random features, feature 1 is the label.
// featureAttention -> Dense(64) -> Dense(1, sigmoid) learns to read it; the attention vector,
// averaged over test samples, should put its peak on feature 1.
//   build/native/example_dense_hello_world [samples=10000] [epochs=20]
#include <cstdio>
#include <cstdlib>

#include "seed_tasks.h"

using namespace attn;

int main(int argc, char** argv) {
  const int samples = argc > 1 ? std::atoi(argv[1]) : 10000;
  const int epochs = argc > 2 ? std::atoi(argv[2]) : 20;
  Rng rng(7);
  seeds::Dataset train = seeds::denseHelloWorld(samples, rng);
  seeds::Dataset test = seeds::denseHelloWorld(1000, rng);

  auto model = seeds::denseHelloWorldModel();
  std::printf("%s\n", model->summary().c_str());
  seeds::Stopwatch clock;
  // The original: epochs=20, batch_size=64, validation_split=0.5.
  History history = model->fit({train.x}, {train.y}, seeds::fitOptions(epochs, 64, 1, 0.5));
  const std::string trainingTime = clock.str();
  const int last = history.epochs() - 1;
  std::printf("trained %d epochs in %s: loss %.4f, val_loss %.4f, val_accuracy %.4f\n", history.epochs(),
              trainingTime.c_str(), history.at("loss")[last], history.at("val_loss")[last],
              history.at("val_accuracy")[last]);

  const std::vector<float> attention = seeds::meanOverSamples(model->getAttention({test.x}, "attention_vec"));
  std::printf("\nattention vector, mean over %d test samples (expected peak: feature %d)\n%s", test.x.dim(0),
              seeds::kDenseTargetColumn, seeds::barChart(attention).c_str());
  std::printf("peak at feature %d with weight %.4f; test accuracy %.4f\n", seeds::argmax(attention),
              attention[seeds::argmax(attention)], seeds::binaryAccuracy(model->predict({test.x})[0], test.y));
  return seeds::argmax(attention) == seeds::kDenseTargetColumn ? 0 : 1;
}
