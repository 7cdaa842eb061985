#include "layers/layer.h"

#include "core/check.h"

namespace attn {

std::string Layer::inputName(int index) const { return inputName(index, static_cast<int>(inputShapes_.size())); }

std::string Layer::inputName(int index, int count) const {
  const InputSpec spec = inputSpec();
  if (index < static_cast<int>(spec.names.size())) return spec.names[index];
  return count == 1 ? std::string("input") : "input " + std::to_string(index);
}

std::vector<Shape> Layer::build(const std::vector<Shape>& inputShapes, ParamStore& params) {
  const InputSpec spec = inputSpec();
  const int count = static_cast<int>(inputShapes.size());
  if (count < spec.min || count > spec.max) {
    std::string expected = std::to_string(spec.min);
    if (spec.max == InputSpec::kAnyCount)
      expected = "at least " + expected;
    else if (spec.max == spec.min + 1)
      expected += " or " + std::to_string(spec.max);
    else if (spec.max != spec.min)
      expected += " to " + std::to_string(spec.max);
    std::string roles;
    for (const char* role : spec.names) roles += (roles.empty() ? " [" : ", ") + std::string(role);
    if (!roles.empty()) roles += "]";
    fail(name_, ": expected ", expected, spec.max == 1 ? " input" : " inputs", roles, ", got ", count);
  }
  if (spec.sequences)
    for (int i = 0; i < count; ++i)
      ATTN_CHECK(inputShapes[i].rank == 2, name_, ": expected ", inputName(i, count),
                 " of shape (None, steps, features), got ", inputShapes[i].str(true));
  inputShapes_ = inputShapes;
  masks_.assign(inputShapes.size(), nullptr);
  return onBuild(inputShapes, params);
}

void Layer::checkInputs(std::span<const Tensor* const> inputs) const {
  ATTN_CHECK(!inputShapes_.empty() || inputs.empty(), name_, ": forward before build");
  ATTN_CHECK(inputs.size() == inputShapes_.size(), name_, ": expected ", inputShapes_.size(),
             inputShapes_.size() == 1 ? " input" : " inputs", ", got ", inputs.size());
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor& x = *inputs[i];
    const Shape& built = inputShapes_[i];
    ATTN_CHECK(x.rank() == built.rank + 1 && x.shape().dropFirst() == built, name_, ": expected ",
               inputName(static_cast<int>(i)), " of shape ", built.str(true), ", got ", x.shape().str());
    ATTN_CHECK(x.dim(0) == inputs[0]->dim(0), name_, ": inputs disagree on the batch size: ",
               inputs[0]->shape().str(), " and ", x.shape().str(), " (", inputName(static_cast<int>(i)), ")");
  }
}

void Layer::resolveMasks(std::span<const Tensor* const> inputs, std::span<const Tensor* const> given) {
  for (size_t i = 0; i < inputs.size(); ++i) {
    const Tensor* m = i < given.size() ? given[i] : nullptr;
    if (m) {
      const Tensor& x = *inputs[i];
      // Messages are built only on failure: no allocation per batch.
      auto forInput = [&] { return inputs.size() == 1 ? std::string() : " for " + inputName(static_cast<int>(i)); };
      ATTN_CHECK(x.rank() >= 2, name_, ": got a mask", forInput(), " but ", inputName(static_cast<int>(i)),
                 " of shape ", x.shape().str(), " has no time axis");
      ATTN_CHECK(m->rank() == 2 && m->dim(0) == x.dim(0) && m->dim(1) == x.dim(1), name_,
                 ": expected a mask of shape ", Shape{x.dim(0), x.dim(1)}.str(), forInput(), ", got ",
                 m->shape().str());
    }
    masks_[i] = m;
  }
}

void Layer::forward(const ForwardPass& pass) {
  checkInputs(pass.inputs);
  resolveMasks(pass.inputs, pass.masks);
  ForwardPass checked = pass;
  checked.masks = masks_;
  onForward(checked);
}

void Layer::backward(const BackwardPass& pass) {
  // The inputs are those of the last forward pass (the contract), whose shapes it checked: only
  // the counts and the output gradients are new here.
  ATTN_CHECK(pass.inputs.size() == inputShapes_.size(), name_, ": backward got ", pass.inputs.size(),
             " inputs, the layer has ", inputShapes_.size());
  ATTN_CHECK(pass.outputGrads.size() == outputs_.size() && pass.inputGrads.size() == pass.inputs.size(), name_,
             ": backward needs one gradient per output (", outputs_.size(), ") and one slot per input (",
             pass.inputs.size(), "), got ", pass.outputGrads.size(), " and ", pass.inputGrads.size());
  for (size_t k = 0; k < outputs_.size(); ++k)
    ATTN_CHECK(pass.outputGrads[k]->shape() == outputs_[k].shape(), name_, ": expected the gradient of output ", k,
               " of shape ", outputs_[k].shape().str(), ", got ", pass.outputGrads[k]->shape().str());
  // The masks are those of the last forward pass (the contract), already checked there.
  BackwardPass checked = pass;
  checked.masks = masks_;
  onBackward(checked);
}

const Tensor* Layer::andOfInputMasks(Tensor& combined) const {
  const Tensor* first = nullptr;
  int present = 0;
  for (const Tensor* m : masks_)
    if (m) {
      if (!first) first = m;
      ++present;
    }
  if (present <= 1) return first;
  combined.resize(first->shape());
  combined.fill(1.f);
  for (const Tensor* m : masks_)
    if (m)
      // keep = keep AND (m != 0)
      for (int64_t k = 0; k < combined.size(); ++k)
        if ((*m)[k] == 0.f) combined[k] = 0.f;
  return &combined;
}

const Tensor* Layer::outputMask(int /*index*/) const { return masks_.empty() ? nullptr : masks_[0]; }

Json Layer::options() const {
  OptionList writer;
  // Writing leaves every field as it is: the list is one function for both directions.
  const_cast<Layer*>(this)->visitOptions(writer);
  return writer.json();
}

void Layer::readOptions(const Json& config) {
  OptionList reader(config, name_);
  visitOptions(reader);
  reader.finish();
}

int64_t Layer::countParams(bool trainableOnly) const {
  int64_t n = 0;
  for (const Param* p : params_)
    if (!trainableOnly || p->trainable) n += p->size();
  return n;
}

Param* Layer::addParam(ParamStore& store, const std::string& shortName, const Shape& shape, const Initializer& init,
                       const Regularizer& reg, bool trainable) {
  Param* p = store.add(name_ + "/" + shortName, shape, init, reg, trainable);
  params_.push_back(p);
  return p;
}

}  // namespace attn
