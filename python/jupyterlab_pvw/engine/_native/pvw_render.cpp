// Render, capture and JPEG-encode a ParaView view from C++, called through ctypes.
//
// Why: this ParaView build keeps the Python GIL for the whole of a wrapped call
// (StillRender, CaptureWindow, UpdatePipeline), so rendering from a Python thread
// starves the simulation's own Python code. ctypes releases the GIL around a foreign
// call, so rendering through these functions leaves the main thread free.
// Constraint: nothing that calls back into Python (observers, Python filters) may run
// inside these calls, and no other thread may touch VTK meanwhile.
#include <vtkImageData.h>
#include <vtkJPEGWriter.h>
#include <vtkNew.h>
#include <vtkPVRenderView.h>
#include <vtkSMPropertyHelper.h>
#include <vtkSMViewProxy.h>
#include <vtkUnsignedCharArray.h>

#include <chrono>
#include <cstdlib>
#include <cstring>

extern "C" {

// Collective under MPI: every rank must call it for the same view.
int pvw_still_render(void* view)
{
  if (!view)
  {
    return -1;
  }
  static_cast<vtkSMViewProxy*>(view)->StillRender();
  return 0;
}

// Renders and captures the view (collective; CaptureWindow renders by itself). When
// `interactive` is non-zero the capture renders as ParaView does during a drag
// (InteractiveRender: LOD geometry above the view's LODThreshold); `*used_lod` says whether
// it did. When `encode` is non-zero the captured image is JPEG-encoded into a malloc'd
// buffer that the caller frees with pvw_free; on ranks that only take part in the
// composite, pass 0.
int pvw_capture_jpeg(void* view, int quality, int encode, int interactive, unsigned char** out,
  long* size, int* width, int* height, double* encode_ms, int* used_lod)
{
  *out = nullptr;
  *size = 0;
  *encode_ms = 0.0;
  *used_lod = 0;
  if (!view)
  {
    return -1;
  }
  auto* proxy = static_cast<vtkSMViewProxy*>(view);
  // vtkSMRenderViewProxy::RenderForImageCapture reads this to pick InteractiveRender.
  vtkSMPropertyHelper(proxy, "UseInteractiveRenderingForScreenshots", true)
    .Set(interactive ? 1 : 0);
  vtkImageData* image = proxy->CaptureWindow(1);
  if (auto* pv = vtkPVRenderView::SafeDownCast(proxy->GetClientSideObject()))
  {
    *used_lod = pv->GetUsedLODForLastRender() ? 1 : 0;
  }
  if (!image)
  {
    return -2;
  }
  int dims[3];
  image->GetDimensions(dims);
  *width = dims[0];
  *height = dims[1];
  int status = 0;
  if (encode)
  {
    auto start = std::chrono::steady_clock::now();
    vtkNew<vtkJPEGWriter> writer;
    writer->SetInputData(image);
    writer->SetQuality(quality);
    writer->WriteToMemoryOn();
    writer->Write();
    vtkUnsignedCharArray* bytes = writer->GetResult();
    if (bytes && bytes->GetNumberOfTuples() > 0)
    {
      *size = static_cast<long>(bytes->GetNumberOfTuples());
      *out = static_cast<unsigned char*>(std::malloc(*size));
      std::memcpy(*out, bytes->GetPointer(0), *size);
    }
    else
    {
      status = -3;
    }
    *encode_ms =
      std::chrono::duration<double, std::milli>(std::chrono::steady_clock::now() - start).count();
  }
  image->Delete(); // CaptureWindow hands over a reference; without this ~1 MB leaks per frame
  return status;
}

void pvw_free(void* buffer)
{
  std::free(buffer);
}
}
