// The dispatcher, shared with deep components (nodes) without threading it through React Flow data.
import { createContext, useContext } from "react";
import type { Action } from "../model/store";

export const DispatchContext = createContext<(a: Action) => void>(() => {});
export const useDispatch = () => useContext(DispatchContext);
