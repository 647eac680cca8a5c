import { useDispatch, useSelector } from 'react-redux'

// The only hooks components use to reach the store (see redux-templates).
export const useAppDispatch = useDispatch.withTypes()
export const useAppSelector = useSelector.withTypes()
